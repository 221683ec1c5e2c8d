//go:build tools

// The packages the programs k8s.io/kubernetes/cmd/kube-apiserver and k8s.io/kubernetes/cmd/kubectl
// import, so that `go mod tidy` records every checksum `go build -mod=readonly` of them needs.
package tools

import (
	_ "k8s.io/client-go/plugin/pkg/client/auth"
	_ "k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"
	_ "k8s.io/component-base/metrics/prometheus/clientgo"
	_ "k8s.io/component-base/metrics/prometheus/version"
	_ "k8s.io/kubectl/pkg/cmd"
	_ "k8s.io/kubectl/pkg/cmd/util"
	_ "k8s.io/kubernetes/cmd/kube-apiserver/app"
)
