package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	info := Info{Service: "webapp", Version: "1.0.7", Environment: "beta"}
	h := NewHandler(info)
	tests := []struct {
		method, path string
		wantCode     int
		wantBody     string // substring
	}{
		{"GET", "/healthz", http.StatusOK, "ok"},
		{"GET", "/version", http.StatusOK, `"version":"1.0.7"`},
		{"GET", "/version", http.StatusOK, `"environment":"beta"`},
		{"GET", "/", http.StatusOK, "Hello from webapp 1.0.7 (beta)"},
		{"POST", "/healthz", http.StatusMethodNotAllowed, ""},
		{"GET", "/missing", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tt.method, tt.path, nil))
			if rec.Code != tt.wantCode {
				t.Fatalf("%s %s: code = %d; want %d", tt.method, tt.path, rec.Code, tt.wantCode)
			}
			if !strings.Contains(rec.Body.String(), tt.wantBody) {
				t.Errorf("%s %s: body = %q; want it to contain %q", tt.method, tt.path, rec.Body.String(), tt.wantBody)
			}
		})
	}
}

func TestVersionJSON(t *testing.T) {
	want := Info{Service: "webapp", Version: "2.3.4"}
	rec := httptest.NewRecorder()
	NewHandler(want).ServeHTTP(rec, httptest.NewRequest("GET", "/version", nil))
	var got Info
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatalf("GET /version body %q is not JSON: %v", rec.Body.String(), err)
	}
	if got != want {
		t.Errorf("GET /version = %+v; want %+v", got, want)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET /version Content-Type = %q; want %q", ct, "application/json")
	}
}
