# Steps of one stage: parallel unless needs says otherwise.
pipeline "steps" {
  image = "python:3.13"
}

test "py" {
  step "deps" { run = "pip install -r requirements.txt" }
  step "lint" {
    needs = [step.deps]
    run   = "ruff check ."
  }
  step "types" {
    needs = [step.deps]
    run   = "mypy ."
  }
  step "unit" {
    needs = [step.deps]
    run   = "pytest -q"
  }
  step "report" {
    needs = [step.lint, step.types, step.unit]
    run   = "coverage report"
  }
  step "docs" { run = "mkdocs build" }
}
