package main

import (
	"context"
	"errors"
	"io"
)

func newPlugin(ctx context.Context, args []string, stdout io.Writer) error {
	return errors.New("new-plugin: not implemented yet")
}
