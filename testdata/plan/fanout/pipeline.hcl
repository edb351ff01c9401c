# A wide fan-out: one build stage, 24 test stages in parallel, one package.
pipeline "fanout" {
  image = "golang:1.26"
}

build "all" {
  step "compile" { run = "make all" }
}

test "shard-00" {
  step "run" { run = "make test SHARD=0" }
}

test "shard-01" {
  step "run" { run = "make test SHARD=1" }
}

test "shard-02" {
  step "run" { run = "make test SHARD=2" }
}

test "shard-03" {
  step "run" { run = "make test SHARD=3" }
}

test "shard-04" {
  step "run" { run = "make test SHARD=4" }
}

test "shard-05" {
  step "run" { run = "make test SHARD=5" }
}

test "shard-06" {
  step "run" { run = "make test SHARD=6" }
}

test "shard-07" {
  step "run" { run = "make test SHARD=7" }
}

test "shard-08" {
  step "run" { run = "make test SHARD=8" }
}

test "shard-09" {
  step "run" { run = "make test SHARD=9" }
}

test "shard-10" {
  step "run" { run = "make test SHARD=10" }
}

test "shard-11" {
  step "run" { run = "make test SHARD=11" }
}

test "shard-12" {
  step "run" { run = "make test SHARD=12" }
}

test "shard-13" {
  step "run" { run = "make test SHARD=13" }
}

test "shard-14" {
  step "run" { run = "make test SHARD=14" }
}

test "shard-15" {
  step "run" { run = "make test SHARD=15" }
}

test "shard-16" {
  step "run" { run = "make test SHARD=16" }
}

test "shard-17" {
  step "run" { run = "make test SHARD=17" }
}

test "shard-18" {
  step "run" { run = "make test SHARD=18" }
}

test "shard-19" {
  step "run" { run = "make test SHARD=19" }
}

test "shard-20" {
  step "run" { run = "make test SHARD=20" }
}

test "shard-21" {
  step "run" { run = "make test SHARD=21" }
}

test "shard-22" {
  step "run" { run = "make test SHARD=22" }
}

test "shard-23" {
  step "run" { run = "make test SHARD=23" }
}

package "dist" {
  step "tar" { run = "tar czf dist.tgz dist" }
  artifact "dist" { path = "dist.tgz" }
}
