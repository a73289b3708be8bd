package gengo

import (
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
)

// The emitters declare some locals in every function of a kind (mem, err,
// a zero value…) and keep the compiler quiet with `_ = x` where a body
// happens not to use them. pruneBlanks removes those lines again:
//
//   - `_ = x` where x is used elsewhere is dropped;
//   - `_ = x` where x is used nowhere else is dropped with x's declaration
//     when that declaration has no effect (`var x T`, or `x := e` with e
//     made of identifiers, selectors and literals) and each name e reads is
//     used elsewhere too.
//
// Everything else stays. Locals are told apart by the parser's scope
// resolution (ast.Ident.Obj), so a shadowing name is another variable.
func pruneBlanks(src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "", src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	uses := map[*ast.Object]int{}
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Obj != nil && id.Obj.Kind == ast.Var && !declares(id) {
			uses[id.Obj]++
		}
		return true
	})
	var cut []ast.Node // statements to remove
	ast.Inspect(f, func(n ast.Node) bool {
		as, ok := n.(*ast.AssignStmt)
		if !ok || !isBlankUse(as) {
			return true
		}
		x := as.Rhs[0].(*ast.Ident)
		o := x.Obj
		switch {
		case uses[o] > 1:
			uses[o]--
			cut = append(cut, as)
		case uses[o] == 1:
			decl, reads := pureDecl(o)
			if decl == nil {
				return true
			}
			for _, r := range reads {
				if uses[r] < 2 {
					return true
				}
			}
			for _, r := range reads {
				uses[r]--
			}
			uses[o] = 0
			cut = append(cut, as, decl)
		}
		return true
	})
	if len(cut) == 0 {
		return src, nil
	}
	return removeLines(fset, src, cut), nil
}

// declares reports whether id is the name a declaration introduces.
func declares(id *ast.Ident) bool {
	switch d := id.Obj.Decl.(type) {
	case *ast.AssignStmt:
		for _, l := range d.Lhs {
			if l == id {
				return true
			}
		}
	case *ast.ValueSpec:
		for _, n := range d.Names {
			if n == id {
				return true
			}
		}
	case *ast.Field:
		for _, n := range d.Names {
			if n == id {
				return true
			}
		}
	}
	return false
}

// isBlankUse matches `_ = x` for a local variable x.
func isBlankUse(as *ast.AssignStmt) bool {
	if as.Tok != token.ASSIGN || len(as.Lhs) != 1 || len(as.Rhs) != 1 {
		return false
	}
	if l, ok := as.Lhs[0].(*ast.Ident); !ok || l.Name != "_" {
		return false
	}
	x, ok := as.Rhs[0].(*ast.Ident)
	return ok && x.Obj != nil && x.Obj.Kind == ast.Var
}

// pureDecl returns the statement declaring o when it declares o alone and
// has no effect, with the variables its value reads; nil otherwise.
func pureDecl(o *ast.Object) (ast.Node, []*ast.Object) {
	switch d := o.Decl.(type) {
	case *ast.AssignStmt:
		if d.Tok != token.DEFINE || len(d.Lhs) != 1 || len(d.Rhs) != 1 {
			return nil, nil
		}
		reads, ok := pureReads(d.Rhs[0])
		if !ok {
			return nil, nil
		}
		return d, reads
	case *ast.ValueSpec:
		if len(d.Names) != 1 || len(d.Values) != 0 {
			return nil, nil
		}
		return d, nil // a one-name var without a value: its line goes
	}
	return nil, nil
}

// pureReads reports whether e is made of identifiers, selectors and basic
// literals only, and the variables it reads.
func pureReads(e ast.Expr) ([]*ast.Object, bool) {
	switch e := e.(type) {
	case *ast.Ident:
		if e.Obj != nil && e.Obj.Kind == ast.Var {
			return []*ast.Object{e.Obj}, true
		}
		return nil, true
	case *ast.BasicLit:
		return nil, true
	case *ast.SelectorExpr:
		return pureReads(e.X)
	}
	return nil, false
}

// removeLines deletes the source lines the nodes occupy (each node is a
// whole statement on lines of its own; a ValueSpec takes its var keyword's
// line).
func removeLines(fset *token.FileSet, src []byte, nodes []ast.Node) []byte {
	type span struct{ from, to int }
	var spans []span
	tf := fset.File(nodes[0].Pos())
	for _, n := range nodes {
		start := tf.LineStart(tf.Line(n.Pos()))
		endLine := tf.Line(n.End())
		to := len(src)
		if endLine < tf.LineCount() {
			to = tf.Offset(tf.LineStart(endLine + 1))
		}
		spans = append(spans, span{tf.Offset(start), to})
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].from < spans[j].from })
	out := make([]byte, 0, len(src))
	prev := 0
	for _, s := range spans {
		if s.from < prev {
			continue // the same line twice
		}
		out = append(out, src[prev:s.from]...)
		prev = s.to
	}
	return append(out, src[prev:]...)
}
