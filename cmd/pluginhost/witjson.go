package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"unicode"

	"github.com/raisfast/wasmplug/gen/plugin"
)

// hookArgType returns the Go type hook's JSON argument decodes into: the
// value type of its plugin.Hooks entry (Filter[T] or Action[A]).
func hookArgType(hook string) (reflect.Type, bool) {
	v := reflect.ValueOf(plugin.Hooks)
	for i := range v.NumField() {
		f := v.Field(i)
		if f.FieldByName("Hook").Interface().(plugin.Hook).Name != hook {
			continue
		}
		call, ok := f.Type().FieldByName("Call")
		if !ok || call.Type.Kind() != reflect.Func || call.Type.NumIn() < 3 {
			return nil, false
		}
		return call.Type.In(2), true
	}
	return nil, false
}

// checkHookArg decodes args as hook's argument and returns the type
// mismatches in WIT terms (see witArgError); other problems are left to
// the runtime.
func checkHookArg(hook string, args []byte) error {
	t, ok := hookArgType(hook)
	if !ok {
		return nil
	}
	if err := json.Unmarshal(args, reflect.New(t).Interface()); err != nil {
		if werr := witArgError(hook, err); werr != err {
			return werr
		}
	}
	return nil
}

// witArgError rewords a *json.UnmarshalTypeError of hook's argument in the
// contract's terms: the WIT record and field, and the WIT type expected
// ("post-input.title: want a string, got a number"). Other errors are
// returned as they are.
func witArgError(hook string, err error) error {
	var te *json.UnmarshalTypeError
	root, ok := hookArgType(hook)
	if !errors.As(err, &te) || !ok || te.Type == nil {
		return err
	}
	got := te.Value
	if n, ok := strings.CutPrefix(got, "number "); ok {
		got = "the number " + n
	} else {
		got = article(got) + " " + got
	}
	if te.Field == "" {
		return fmt.Errorf("%s takes %s, got %s", hook, describeWIT(root), got)
	}
	owner, field, declared := walkField(root, te.Field)
	where := field
	switch {
	case owner == nil:
	case strings.HasSuffix(owner.Name(), "Args"): // a function's parameters, not a record
		where = hook + " parameter " + field
	default:
		where = witTypeName(owner) + "." + field
	}
	msg := fmt.Sprintf("%s: want %s, got %s", where, describeWIT(te.Type), got)
	if declared != nil && witTypeName(declared) != witTypeName(te.Type) {
		msg += fmt.Sprintf(" (%s is %s %s)", field, article(witTypeName(declared)), witTypeName(declared))
	}
	return errors.New(msg)
}

// walkField follows a JSON key path ("a.b") from t and returns the struct
// holding the last key, that key as a WIT field name (kebab-case) and the
// field's Go type (nil when the path leaves t's fields).
func walkField(t reflect.Type, path string) (owner reflect.Type, field string, declared reflect.Type) {
	keys := strings.Split(path, ".")
	field = strings.ReplaceAll(keys[len(keys)-1], "_", "-")
	for _, key := range keys {
		t = elemType(t)
		if t.Kind() != reflect.Struct {
			return nil, field, nil
		}
		owner = t
		f, ok := jsonField(t, key)
		if !ok {
			return owner, field, nil
		}
		declared = f.Type
		t = f.Type
	}
	return owner, field, declared
}

// elemType strips pointers (options) and slices (lists).
func elemType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	return t
}

func jsonField(t reflect.Type, key string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name == key {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// witTypeName spells a generated Go type as WIT: string, u32, list<string>,
// option<string>, post-input.
func witTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Pointer:
		return "option<" + witTypeName(t.Elem()) + ">"
	case reflect.Slice:
		return "list<" + witTypeName(t.Elem()) + ">"
	case reflect.Struct:
		return kebab(t.Name())
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return fmt.Sprintf("s%d", t.Bits())
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return fmt.Sprintf("u%d", t.Bits())
	case reflect.Float32, reflect.Float64:
		return fmt.Sprintf("f%d", t.Bits())
	case reflect.Bool:
		return "bool"
	}
	return t.Kind().String()
}

// describeWIT says what JSON value a WIT type takes: "a string",
// "a post-input record (a JSON object)", "a list<string> (a JSON array)".
func describeWIT(t reflect.Type) string {
	name := witTypeName(t)
	switch t.Kind() {
	case reflect.Struct:
		return article(name) + " " + name + " record (a JSON object)"
	case reflect.Slice:
		return "a " + name + " (a JSON array)"
	case reflect.Pointer:
		return "an " + name + " (null or " + describeWIT(t.Elem()) + ")"
	case reflect.String, reflect.Bool:
		return "a " + name
	}
	return article(name) + " " + name + " (a JSON number)"
}

// kebab turns a Go name into WIT's kebab-case: PostInput → post-input,
// HTTPRequest → http-request.
func kebab(name string) string {
	rs := []rune(name)
	var b strings.Builder
	for i, r := range rs {
		if unicode.IsUpper(r) && i > 0 && (unicode.IsLower(rs[i-1]) || i+1 < len(rs) && unicode.IsLower(rs[i+1])) {
			b.WriteByte('-')
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}
