//go:build tools

// Package engine pins the Pulumi CLI's package in go.mod, so `go build` of it uses these exact versions.
package engine

import _ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
