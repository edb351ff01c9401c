// Command webapp is the service of the pipeline webapp example: a small HTTP
// server that answers /healthz and /version, so a deployment can be checked
// from outside the container.
//
// The release version is set at build time by the pipeline's compile step
// (-ldflags "-X main.version=...") and can be overridden with the
// WEBAPP_VERSION environment variable. WEBAPP_ENV names the environment the
// container was deployed to.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is the release version, set with -ldflags "-X main.version=V".
var version = "dev"

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintf(os.Stderr, "webapp: %v\n", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	addr := fs.String("addr", ":8080", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	info := Info{Service: "webapp", Version: version, Environment: os.Getenv("WEBAPP_ENV")}
	if v := os.Getenv("WEBAPP_VERSION"); v != "" {
		info.Version = v
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	srv := &http.Server{
		Addr:              *addr,
		Handler:           NewHandler(info),
		ReadHeaderTimeout: 5 * time.Second,
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	logger.Info("listening", "addr", *addr, "version", info.Version, "environment", info.Environment)

	select {
	case err := <-errc:
		return fmt.Errorf("serving on %s: %w", *addr, err)
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutting down: %w", err)
	}
	return nil
}
