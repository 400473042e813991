// Command ipc-mcp is the MCP server that AI clients launch, and the
// command line through which any AI or person uses the ipcd mailbox.
package main

import (
	"context"
	"os"

	"github.com/ipcd/ipcd/internal/cli"
	"github.com/ipcd/ipcd/internal/shimcli"
)

func main() {
	os.Exit(shimcli.Main(context.Background(), os.Args[1:], cli.OSEnv()))
}
