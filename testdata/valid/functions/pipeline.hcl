pipeline "functions" {
  image = "alpine:3.20"
}

locals {
  motd    = trimspace(file("motd.txt"))
  list    = distinct(flatten([["a", "b"], ["b", "c"]]))
  merged  = merge({ a = "1" }, { b = "2" })
  encoded = jsonencode({ list = local.list })
}

build "app" {
  step "show" {
    run = "echo ${local.motd}"
    env = {
      UPPER    = upper("abc")
      LOWER    = lower("ABC")
      FORMAT   = format("%s-%03d", "v", 7)
      SPLIT    = join("+", split(",", "x,y"))
      REPLACE  = replace("a-b-c", "-", "_")
      SUBSTR   = substr("pipeline", 0, 4)
      LENGTH   = tostring(length(local.list))
      LENSTR   = tostring(length("héllo"))
      CONCAT   = join(",", concat(["x"], ["y"]))
      CONTAINS = tostring(contains(local.list, "c"))
      KEYS     = join(",", keys(local.merged))
      VALUES   = join(",", values(local.merged))
      LOOKUP   = lookup(local.merged, "z", "none")
      ELEMENT  = element(local.list, 1)
      COALESCE = coalesce("", "fallback")
      JSON     = local.encoded
      DECODED  = jsondecode("{\"k\":\"v\"}").k
      B64      = base64encode("hi")
      UNB64    = base64decode("aGk=")
      SHA256   = sha256("abc")
      MD5      = md5("abc")
      MINMAX   = "${min(3, 1, 2)}-${max(3, 1, 2)}-${abs(-4)}"
      TRY      = try(local.merged.z, "missing")
      CAN      = tostring(can(local.merged.z))
      ENV      = env("CHAT_WEBHOOK")
      UNSET    = env("NOT_SET_ANYWHERE")
    }
  }
}
