# A step image built from this repository: no registry needed. The
# Dockerfile in ci/ starts FROM the local test image (make image) and adds
# the site's tool from the context; steps run in it with image = image.tools.
pipeline "stepimage" {
  image = "pipeline-test/busybox:latest"
}

image "tools" {
  context    = "ci"
  dockerfile = "tools.Dockerfile"
  args       = { SITE_TITLE = "Step images" }
}

build "site" {
  step "render" {
    image   = image.tools
    inputs  = ["content/*.md"]    # reused while these files, the image and the command are unchanged
    outputs = ["dist/index.html"] # restored from the artifact store when reused
    caches  = ["/cache"]          # a named volume kept between runs
    run     = "render content dist/index.html && date >> /cache/renders && wc -l < /cache/renders"
  }
}

test "site" {
  step "check" {
    image  = image.tools
    inputs = ["dist/index.html"]
    run    = "grep -q '<h1>' dist/index.html && echo 'dist/index.html has a title'"
  }
}
