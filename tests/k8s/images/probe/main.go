// Command probe is the test workload's image: it reports where it runs (from the downward API
// and the kernel) on stdout, which the test reads back through the API server's log endpoint,
// then waits for SIGTERM.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	host, _ := os.Hostname()
	fmt.Printf("fortress-probe node=%s pod=%s namespace=%s hostname=%s pid=%d\n",
		os.Getenv("NODE_NAME"), os.Getenv("POD_NAME"), os.Getenv("POD_NAMESPACE"), host, os.Getpid())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	<-signals
}
