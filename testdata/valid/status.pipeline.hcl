# always(), failure() and success() decide whether a step runs after its
# dependencies; the rest of a when joined with && still applies.
pipeline "status" {
  image = "alpine:3.20"
}

test "unit" {
  step "go-test" {
    run = "go test ./..."
  }
  step "cleanup" {
    needs = [step.go-test]
    when  = always()
    run   = "rm -rf tmp"
  }
  step "alert" {
    needs = [step.go-test]
    when  = failure() && git.branch == "main"
    run   = "echo tests failed on main"
  }
  step "report" {
    needs = [step.go-test]
    when  = success()
    run   = "echo all good"
  }
}
