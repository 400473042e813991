package setup

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/tailscale/hujson"
)

// jsonDoc is a JSON file (comments and trailing commas allowed) edited in
// place: every byte setup does not change keeps its place, and new values
// are written in the file's own indentation and line endings.
type jsonDoc struct {
	src     []byte // as read, without a byte-order mark
	bom     bool
	root    hujson.Value
	nl      string // "\n" or "\r\n"
	unit    string // one level of indentation
	oneLine bool   // the file has no line break: new values go on the line too
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// parseJSONDoc parses a configuration file; an empty file is an empty
// object.
func parseJSONDoc(data []byte) (*jsonDoc, error) {
	d := &jsonDoc{}
	if bytes.HasPrefix(data, utf8BOM) {
		d.bom = true
		data = data[len(utf8BOM):]
	}
	d.src = data
	d.nl = "\n"
	if bytes.Contains(data, []byte("\r\n")) {
		d.nl = "\r\n"
	}
	text := bytes.Clone(data)
	if len(bytes.TrimSpace(text)) == 0 {
		text = []byte("{}" + d.nl)
	}
	v, err := hujson.Parse(text)
	if err != nil {
		return nil, hujsonError(err)
	}
	obj, ok := v.Value.(*hujson.Object)
	if !ok {
		return nil, errAt(data, v.StartOffset, "the file holds %s where a JSON object was expected", kindName(v.Value.Kind()))
	}
	d.root = v
	d.oneLine = !bytes.Contains(text, []byte("\n"))
	d.unit = "  "
	for _, m := range obj.Members {
		if ind, ok := lineIndent(m.Name.BeforeExtra); ok && ind != "" {
			d.unit = ind
			break
		}
	}
	return d, nil
}

// hujsonError turns "hujson: line L, column C: reason" into a ParseError.
func hujsonError(err error) *ParseError {
	msg := strings.TrimPrefix(err.Error(), "hujson: ")
	var line, col int
	if n, _ := fmt.Sscanf(msg, "line %d, column %d:", &line, &col); n == 2 {
		if i := strings.Index(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		return &ParseError{Line: line, Column: col, Reason: msg}
	}
	return &ParseError{Reason: msg}
}

func (d *jsonDoc) bytes() []byte {
	b := d.root.Pack()
	if d.bom {
		b = append(append([]byte{}, utf8BOM...), b...)
	}
	return b
}

// objRef is an object of the document and where it sits.
type objRef struct {
	obj    *hujson.Object
	indent string // indentation of the line the object starts on
	where  string // dotted path, for messages
}

// arrRef is an array of the document and where it sits.
type arrRef struct {
	arr    *hujson.Array
	indent string
	where  string
}

func (d *jsonDoc) rootObj() objRef {
	return objRef{obj: d.root.Value.(*hujson.Object)}
}

func (d *jsonDoc) errAt(off int, format string, args ...any) error {
	return errAt(d.src, off, format, args...)
}

func childWhere(where, key string) string {
	if where == "" {
		return fmt.Sprintf("%q", key)
	}
	return where + fmt.Sprintf("[%q]", key)
}

// find returns the index of member key, or -1. Two members of the same name
// are refused: clients disagree on which one wins.
func (d *jsonDoc) find(o objRef, key string) (int, error) {
	idx := -1
	for i := range o.obj.Members {
		lit, ok := o.obj.Members[i].Name.Value.(hujson.Literal)
		if !ok || lit.String() != key {
			continue
		}
		if idx >= 0 {
			return -1, d.errAt(o.obj.Members[i].Name.StartOffset, "%s appears twice", childWhere(o.where, key))
		}
		idx = i
	}
	return idx, nil
}

// object returns o[key] as an object; found is false when there is no such
// member, and a member of another kind is an error.
func (d *jsonDoc) object(o objRef, key string) (ref objRef, found bool, err error) {
	i, err := d.find(o, key)
	if err != nil || i < 0 {
		return objRef{}, false, err
	}
	m := &o.obj.Members[i]
	obj, ok := m.Value.Value.(*hujson.Object)
	if !ok {
		return objRef{}, true, d.errAt(m.Value.StartOffset, "%s is %s, not an object", childWhere(o.where, key), kindName(m.Value.Value.Kind()))
	}
	return objRef{obj: obj, indent: d.itemIndent(o.indent, m.Name.BeforeExtra), where: childWhere(o.where, key)}, true, nil
}

// array returns o[key] as an array, like object.
func (d *jsonDoc) array(o objRef, key string) (ref arrRef, found bool, err error) {
	i, err := d.find(o, key)
	if err != nil || i < 0 {
		return arrRef{}, false, err
	}
	m := &o.obj.Members[i]
	arr, ok := m.Value.Value.(*hujson.Array)
	if !ok {
		return arrRef{}, true, d.errAt(m.Value.StartOffset, "%s is %s, not an array", childWhere(o.where, key), kindName(m.Value.Value.Kind()))
	}
	return arrRef{arr: arr, indent: d.itemIndent(o.indent, m.Name.BeforeExtra), where: childWhere(o.where, key)}, true, nil
}

// str returns o[key] when it is a string.
func (d *jsonDoc) str(o objRef, key string) (string, bool) {
	i, err := d.find(o, key)
	if err != nil || i < 0 {
		return "", false
	}
	lit, ok := o.obj.Members[i].Value.Value.(hujson.Literal)
	if !ok || lit.Kind() != '"' {
		return "", false
	}
	return lit.String(), true
}

// elemObject returns element i of a when it is an object.
func (d *jsonDoc) elemObject(a arrRef, i int) (objRef, bool) {
	e := &a.arr.Elements[i]
	obj, ok := e.Value.(*hujson.Object)
	if !ok {
		return objRef{}, false
	}
	return objRef{obj: obj, indent: d.itemIndent(a.indent, e.BeforeExtra), where: fmt.Sprintf("%s[%d]", a.where, i)}, true
}

// set makes o[key] hold val. A member that already holds an equal value is
// not touched, so its layout survives; it reports whether anything changed.
func (d *jsonDoc) set(o objRef, key string, val any) (bool, error) {
	want, err := marshal(val)
	if err != nil {
		return false, fmt.Errorf("encode %s: %w", key, err)
	}
	i, err := d.find(o, key)
	if err != nil {
		return false, err
	}
	indent, inline := layout(d, o.indent, o.obj.Members, func(m *hujson.ObjectMember) hujson.Extra { return m.Name.BeforeExtra })
	if i >= 0 {
		m := &o.obj.Members[i]
		if sameJSON(standard(m.Value), want) {
			return false, nil
		}
		v, err := d.render(want, d.itemIndent(indent, m.Name.BeforeExtra), inline)
		if err != nil {
			return false, err
		}
		m.Value.Value = v.Value
		return true, nil
	}
	v, err := d.render(want, indent, inline)
	if err != nil {
		return false, err
	}
	n := len(o.obj.Members)
	m := hujson.ObjectMember{
		Name:  hujson.Value{BeforeExtra: d.placeNew(n, indent, inline, o.indent, &o.obj.AfterExtra), Value: hujson.String(key)},
		Value: hujson.Value{BeforeExtra: hujson.Extra(" "), Value: v.Value},
	}
	if n > 0 && o.obj.Members[n-1].Value.AfterExtra != nil {
		m.Value.AfterExtra = hujson.Extra{} // keep the file's trailing comma
	}
	o.obj.Members = append(o.obj.Members, m)
	return true, nil
}

// appendElem adds val at the end of a.
func (d *jsonDoc) appendElem(a arrRef, val any) error {
	want, err := marshal(val)
	if err != nil {
		return fmt.Errorf("encode %s: %w", a.where, err)
	}
	indent, inline := layout(d, a.indent, a.arr.Elements, func(e *hujson.Value) hujson.Extra { return e.BeforeExtra })
	v, err := d.render(want, indent, inline)
	if err != nil {
		return err
	}
	n := len(a.arr.Elements)
	v.BeforeExtra = d.placeNew(n, indent, inline, a.indent, &a.arr.AfterExtra)
	v.AfterExtra = nil
	if n > 0 && a.arr.Elements[n-1].AfterExtra != nil {
		v.AfterExtra = hujson.Extra{}
	}
	a.arr.Elements = append(a.arr.Elements, v)
	return nil
}

// removeMember deletes member i of o, keeping the object's trailing-comma
// style.
func (d *jsonDoc) removeMember(o objRef, i int) {
	o.obj.Members = removeAt(o.obj.Members, i, &o.obj.AfterExtra,
		func(m *hujson.ObjectMember) *hujson.Extra { return &m.Value.AfterExtra })
}

// removeElem deletes element i of a, keeping the array's trailing-comma
// style.
func (d *jsonDoc) removeElem(a arrRef, i int) {
	a.arr.Elements = removeAt(a.arr.Elements, i, &a.arr.AfterExtra,
		func(e *hujson.Value) *hujson.Extra { return &e.AfterExtra })
}

// removeAt deletes item i of an object's members or an array's elements.
// after is where an item keeps what follows it (its comma, if the file
// has one there); closing is what comes before the closing bracket.
func removeAt[T any](items []T, i int, closing *hujson.Extra, after func(*T) *hujson.Extra) []T {
	trailing := *after(&items[len(items)-1]) != nil
	items = append(items[:i:i], items[i+1:]...)
	switch {
	case len(items) == 0:
		if !hasComment(*closing) {
			*closing = nil
		}
	case i == len(items) && !trailing:
		*after(&items[len(items)-1]) = nil
	case i == len(items) && *after(&items[len(items)-1]) == nil:
		*after(&items[len(items)-1]) = hujson.Extra{}
	}
	return items
}
