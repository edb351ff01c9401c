package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BinDir is where Debian installs the PostgreSQL 15 server programs.
const BinDir = "/usr/lib/postgresql/15/bin"

// Server is a PostgreSQL server of a test's own: its own data directory
// and port, so a test may restart or stop it without disturbing the shared
// server of PIPELINE_TEST_POSTGRES.
type Server struct {
	URL  string // postgres://pipeline@127.0.0.1:PORT/fleet?sslmode=disable
	Port int
	dir  string
	t    testing.TB
}

// Start initialises and starts a private server (trust authentication on
// 127.0.0.1 only), stopped and removed when t ends. It needs the server
// programs in BinDir and, when run as root, the postgres system user to run
// them as; without them it skips t, or fails it in CI (CI=true), where
// .ci/postgres.sh installs them.
func Start(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(filepath.Join(BinDir, "initdb")); err != nil {
		missing(t, "PostgreSQL server programs are not installed in %s (apt-get install postgresql-15): %v", BinDir, err)
	}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			missing(t, "running as root, a private PostgreSQL server needs the postgres user: %v", err)
		}
	}
	dir, err := os.MkdirTemp("", "pgtest-")
	if err != nil {
		t.Fatal(err)
	}
	must(t, os.Chmod(dir, 0o755))
	s := &Server{dir: dir, t: t, Port: freePort(t)}
	t.Cleanup(func() {
		_ = s.pgctl("stop", "-m", "immediate")
		_ = os.RemoveAll(dir)
	})
	data := filepath.Join(dir, "data")
	must(t, os.Mkdir(data, 0o700))
	chownPostgres(t, dir)
	if out, err := s.as(filepath.Join(BinDir, "initdb"), "-D", data, "-U", "pipeline", "--auth=trust", "-E", "UTF8", "--no-sync").CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	conf := fmt.Sprintf("port = %d\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nfsync = off\nmax_connections = 200\n", s.Port, dir)
	f, err := os.OpenFile(filepath.Join(data, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	must(t, err)
	_, err = f.WriteString(conf)
	must(t, err)
	must(t, f.Close())
	if err := s.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(dir, "server.log")); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		t.Fatalf("pg_ctl start: %v\n%s", err, log)
	}
	if out, err := exec.Command(filepath.Join(BinDir, "createdb"), "-h", "127.0.0.1", "-p", strconv.Itoa(s.Port), "-U", "pipeline", "fleet").CombinedOutput(); err != nil {
		t.Fatalf("createdb: %v\n%s", err, out)
	}
	s.URL = fmt.Sprintf("postgres://pipeline@127.0.0.1:%d/fleet?sslmode=disable", s.Port)
	return s
}

// Restart restarts the server as `pg_ctl restart -m fast` does: active
// connections are terminated, and the server is back when it returns.
func (s *Server) Restart() error {
	return s.pgctl("restart", "-m", "fast", "-w", "-t", "60", "-l", filepath.Join(s.dir, "server.log"))
}

func (s *Server) pgctl(args ...string) error {
	args = append([]string{"-D", filepath.Join(s.dir, "data")}, args...)
	out, err := s.as(filepath.Join(BinDir, "pg_ctl"), args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

// as runs a server program as the postgres user when this process is root
// (PostgreSQL refuses to run as root).
func (s *Server) as(prog string, args ...string) *exec.Cmd {
	if os.Geteuid() != 0 {
		return exec.Command(prog, args...)
	}
	return exec.Command("runuser", append([]string{"-u", "postgres", "--", prog}, args...)...)
}

func chownPostgres(t testing.TB, dir string) {
	if os.Geteuid() != 0 {
		return
	}
	u, err := user.Lookup("postgres")
	must(t, err)
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	must(t, filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Chown(p, uid, gid)
	}))
}

func freePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	// Give the kernel a moment to forget the listener before the server binds it.
	defer time.Sleep(10 * time.Millisecond)
	return l.Addr().(*net.TCPAddr).Port
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true and "+format, args...)
	}
	t.Skipf(format, args...)
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// Stop stops the server (pg_ctl stop -m fast); Start-ed servers are also
// stopped when the test ends.
func (s *Server) Stop() error { return s.pgctl("stop", "-m", "fast", "-w") }

// Resume starts a stopped server again.
func (s *Server) Resume() error {
	return s.pgctl("start", "-w", "-t", "60", "-l", filepath.Join(s.dir, "server.log"))
}
