package shimcli

import (
	"errors"

	"github.com/spf13/cobra"
)

// serveMCP serves MCP on stdio. (Being built in internal/mcpshim.)
func (a *App) serveMCP(cmd *cobra.Command) error {
	return errors.New("the MCP server is not built yet")
}
