package main

import (
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/pipeline-cd/pipeline/dsl"
	"github.com/pipeline-cd/pipeline/engine/console"
	"github.com/pipeline-cd/pipeline/engine/serve"
)

func init() {
	extraCommands = append(extraCommands, newServeCommand)
}

// defaultListen keeps the server on loopback: it has no authentication.
const defaultListen = "127.0.0.1:8080"

func newServeCommand(g *globals) *cobra.Command {
	var listen string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the read-only release console and JSON API over the state store",
		Long: `serve shows what the state store knows in the release console and as JSON:
an overview grid of pipelines x environments (the version live in each, how long
ago, what waits at a gate, the rollback target; filter with ?component=), and a
page per run (the plan drawn as a graph, node statuses, step logs with attempt
markers, timing) that follows a running run live. The JSON API lists runs,
releases, the deployment history and the audit trail.

It never changes the state: approvals stay on the command line, where the
approver's identity is checked. It has no authentication, so it listens on
loopback (127.0.0.1:8080) by default; pass --listen :8080 to let other machines
read it. It stops on Ctrl-C or SIGTERM.

Routes: GET /, /runs/{id}, /runs/{id}/events (Server-Sent Events), /api/status, /api/runs, /api/runs/{id}, /api/releases,
/api/history?env=E, /api/audit (each takes ?pipeline=P; lists take ?limit=N)
and /healthz.`,
		Args: func(c *cobra.Command, args []string) error {
			if err := cobra.NoArgs(c, args); err != nil {
				return &usageError{err}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if _, _, err := net.SplitHostPort(listen); err != nil {
				return &usageError{fmt.Errorf("--listen %q is not an address: %w; pass HOST:PORT, e.g. --listen 127.0.0.1:8080 or --listen :8080", listen, err)}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			url, _, err := g.stateLocation()
			if err != nil {
				return err
			}
			eng, closeAll, err := g.queryEngine(ctx)
			if err != nil {
				return err
			}
			defer closeAll()
			var pipelines []serve.Pipeline
			if res, ok := g.quietConfig(); ok {
				p := serve.Pipeline{Name: res.Config.Pipeline.Name}
				for _, s := range res.Config.Stages {
					if s.Kind == dsl.KindEnvironment {
						p.Environments = append(p.Environments, s.Name)
					}
				}
				pipelines = append(pipelines, p)
			}
			logger := g.logger().Named("serve")
			h := console.New(console.Options{Querier: eng, Store: url, Pipelines: pipelines, Logger: logger})
			ln, err := net.Listen("tcp", listen)
			if err != nil {
				return fmt.Errorf("listening on %s: %w; pick another address with --listen", listen, err)
			}
			if !isLoopback(ln.Addr()) {
				fmt.Fprintf(g.stderr, "Warning: serving on %s, which other machines may reach; the page has no authentication and shows runs, commits and the audit trail.\n", ln.Addr())
			}
			fmt.Fprintf(g.stdout, "serving %s read-only on http://%s/ (Ctrl-C stops)\n", serve.Redact(url), ln.Addr())
			return serve.Serve(ctx, ln, h, logger)
		},
	}
	cmd.Flags().StringVar(&listen, "listen", defaultListen, "`ADDRESS` to listen on; the default is loopback only, since the server has no authentication")
	return cmd
}

// isLoopback reports whether addr is a TCP address on a loopback IP.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}
