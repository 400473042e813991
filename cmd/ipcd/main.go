// Command ipcd is the ipcd daemon and its operator's command line.
package main

import (
	"context"
	"os"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/ipcdcli"
)

func main() {
	os.Exit(ipcdcli.Main(context.Background(), os.Args[1:], cli.OSEnv()))
}
