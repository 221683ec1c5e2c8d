//go:build tools

// The packages github.com/crossplane/crossplane/v2/cmd/crossplane imports, so that `go mod tidy`
// records every checksum `go build -mod=readonly` of it needs.
package tools

import (
	_ "github.com/alecthomas/kong"
	_ "github.com/crossplane/crossplane/v2/apis"
	_ "github.com/crossplane/crossplane/v2/cmd/crossplane/core"
	_ "github.com/crossplane/crossplane/v2/cmd/crossplane/rbac"
	_ "sigs.k8s.io/controller-runtime/pkg/log/zap"
)
