package mcpshim

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	segjson "github.com/segmentio/encoding/json"
)

// The tools' JSON schemas are inferred from their input and output types
// when the module is built and tested (schemas_gen.go, checked and
// rewritten by TestToolSchemasUpToDate), not each time ipc-mcp starts: inferring and
// resolving nine tools' schemas, and encoding them for every tools/list,
// took more of ipc-mcp's start-up than anything else of its own. tools/list
// sends the stored JSON as it is; the schemas that validate a tool's
// arguments and result are resolved at its first call (a fraction of a
// millisecond each; resolving them on a goroutine at start-up slowed the
// start-up down on two CPUs).
//
// A call is handled exactly as the SDK's mcp.AddTool handles one (v1.8.0):
// arguments validated against the input schema with defaults applied and
// decoded case-sensitively; a handler's error returned as a tool error,
// unless it is a JSON-RPC error; the output validated and returned as
// structured content with its JSON as text.

// toolSchemas are one tool's stored schemas.
type toolSchemas struct {
	Input  json.RawMessage `json:"input"`
	Output json.RawMessage `json:"output"`
}

// storedSchemas returns the schemas of schemas_gen.go by tool name.
func storedSchemas() map[string]toolSchemas { return storedSchemaTable }

// inferSchemas infers a tool's schemas from its types, as mcp.AddTool
// would; TestToolSchemasUpToDate compares them with schemas_gen.go.
type inferSchemas func() (in, out *jsonschema.Schema, err error)

// addTool registers a tool with its stored schemas and handler h.
func addTool[In, Out any](s *Server, t *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) {
	s.infer[t.Name] = func() (*jsonschema.Schema, *jsonschema.Schema, error) {
		in, err := jsonschema.For[In](&jsonschema.ForOptions{})
		if err != nil {
			return nil, nil, err
		}
		out, err := jsonschema.For[Out](&jsonschema.ForOptions{})
		return in, out, err
	}
	sc, ok := storedSchemas()[t.Name]
	if !ok {
		// A tool added without updating schemas_gen.go (the test says so):
		// infer its schemas now, as the SDK would.
		sc = mustInfer(t.Name, s.infer[t.Name])
	}
	resolved := sync.OnceValues(func() (*resolvedPair, error) { return resolvePair(sc) })
	// AddTool checks the schemas it is given: one given as JSON it encodes
	// and decodes into a map (the input schema twice), and each decoding
	// takes a fresh 32 KiB buffer. For nine tools that was a megabyte of
	// fresh memory at every start. So AddTool checks a parsed placeholder
	// (the header-annotation check still decodes it once), and the tool the
	// SDK keeps and lists, this *mcp.Tool, then gets the stored schemas
	// (TestToolListCarriesStoredSchemas holds tools/list to them).
	t.InputSchema, t.OutputSchema = objectSchema, nil
	s.mcp.AddTool(t, func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		rp, err := resolved()
		if err != nil {
			return nil, err
		}
		return callTyped(ctx, req, rp, h)
	})
	t.InputSchema, t.OutputSchema = sc.Input, sc.Output
}

// objectSchema is what AddTool checks in place of a tool's stored schema.
var objectSchema = &jsonschema.Schema{Type: "object"}

func mustInfer(name string, infer inferSchemas) toolSchemas {
	in, out, err := infer()
	if err != nil {
		panic(fmt.Sprintf("mcpshim: tool %q: %v", name, err))
	}
	var sc toolSchemas
	if sc.Input, err = json.Marshal(in); err == nil {
		sc.Output, err = json.Marshal(out)
	}
	if err != nil {
		panic(fmt.Sprintf("mcpshim: tool %q: %v", name, err))
	}
	return sc
}

type resolvedPair struct{ in, out *jsonschema.Resolved }

func resolvePair(sc toolSchemas) (*resolvedPair, error) {
	var rp resolvedPair
	for _, x := range []struct {
		raw json.RawMessage
		to  **jsonschema.Resolved
	}{{sc.Input, &rp.in}, {sc.Output, &rp.out}} {
		var sch jsonschema.Schema
		if err := json.Unmarshal(x.raw, &sch); err != nil {
			return nil, fmt.Errorf("stored schema: %w", err)
		}
		r, err := sch.Resolve(&jsonschema.ResolveOptions{ValidateDefaults: true})
		if err != nil {
			return nil, fmt.Errorf("stored schema: %w", err)
		}
		*x.to = r
	}
	return &rp, nil
}

// callTyped is the SDK's typed tool handler.
func callTyped[In, Out any](ctx context.Context, req *mcp.CallToolRequest, rp *resolvedPair, h mcp.ToolHandlerFor[In, Out]) (*mcp.CallToolResult, error) {
	input, err := applySchema(req.Params.Arguments, rp.in, false)
	if err != nil {
		var errRes mcp.CallToolResult
		errRes.SetError(fmt.Errorf("validating \"arguments\": %v", err))
		return &errRes, nil
	}
	var in In
	if input != nil {
		if err := unmarshalStrict(input, &in); err != nil {
			var errRes mcp.CallToolResult
			errRes.SetError(err)
			return &errRes, nil
		}
	}
	res, out, err := h(ctx, req, in)
	if err != nil {
		if wireErr, ok := err.(*jsonrpc.Error); ok {
			return nil, wireErr
		}
		var errRes mcp.CallToolResult
		errRes.SetError(err)
		return &errRes, nil
	}
	if res == nil {
		res = &mcp.CallToolResult{}
	}
	outbytes, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("marshaling output: %w", err)
	}
	outJSON, err := applySchema(outbytes, rp.out, true)
	if err != nil {
		return nil, fmt.Errorf("validating tool output: %w", err)
	}
	res.StructuredContent = outJSON
	if res.Content == nil {
		res.Content = []mcp.Content{&mcp.TextContent{Text: string(outJSON)}}
	} else if t := bytes.TrimSpace(outJSON); len(t) == 0 || t[0] != '{' {
		res.Content = append(res.Content, &mcp.TextContent{Text: string(outJSON)})
	}
	return res, nil
}

// applySchema validates data against resolved and applies its defaults.
func applySchema(data json.RawMessage, resolved *jsonschema.Resolved, forOutput bool) (json.RawMessage, error) {
	var v any
	if !forOutput {
		m := make(map[string]any)
		if len(data) > 0 {
			if err := unmarshalStrict(data, &m); err != nil {
				return nil, fmt.Errorf("unmarshaling arguments: %w", err)
			}
		}
		v = m
	} else if len(data) > 0 {
		if err := unmarshalStrict(data, &v); err != nil {
			return nil, fmt.Errorf("unmarshaling output: %w", err)
		}
	}
	applied := false
	if _, ok := v.(map[string]any); ok {
		if err := resolved.ApplyDefaults(&v); err != nil {
			return nil, fmt.Errorf("applying schema defaults:\n%w", err)
		}
		applied = true
	} else if forOutput && v == nil && resolved.Schema().Type == "object" {
		v = make(map[string]any)
		if err := resolved.ApplyDefaults(&v); err != nil {
			return nil, fmt.Errorf("applying schema defaults:\n%w", err)
		}
		applied = true
	}
	if err := resolved.Validate(&v); err != nil {
		return nil, err
	}
	if !applied {
		return data, nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("marshaling with defaults: %w", err)
	}
	return out, nil
}

// maxDepth bounds the nesting of JSON a call may carry, as the SDK does.
const maxDepth = 1000

// unmarshalStrict decodes JSON as the SDK does: struct fields match their
// names exactly, and nesting deeper than maxDepth is refused.
func unmarshalStrict(data []byte, v any) error {
	depth, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{' || c == '[':
			if depth++; depth > maxDepth {
				return fmt.Errorf("json: exceeded maximum nesting depth of %d", maxDepth)
			}
		case c == '}' || c == ']':
			depth--
		}
	}
	dec := segjson.NewDecoder(bytes.NewReader(data))
	dec.DontMatchCaseInsensitiveStructFields()
	return dec.Decode(v)
}
