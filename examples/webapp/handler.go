package main

import (
	"encoding/json"
	"net/http"
)

// Info is what /version reports about the running service.
type Info struct {
	Service     string `json:"service"`
	Version     string `json:"version"`
	Environment string `json:"environment,omitempty"`
}

// NewHandler returns the service's routes:
//
//	GET /healthz  200 "ok" while the process serves requests
//	GET /version  200 with Info as JSON
//	GET /         200 with a one-line greeting naming the version
//
// Other methods on these paths answer 405; other paths answer 404.
func NewHandler(info Info) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /version", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(info)
	})
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		env := info.Environment
		if env == "" {
			env = "no environment"
		}
		_, _ = w.Write([]byte("Hello from " + info.Service + " " + info.Version + " (" + env + ")\n"))
	})
	return mux
}
