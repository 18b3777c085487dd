//go:build tools

// Package yaml pins the YAML language host's package in go.mod.
package yaml

import _ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
