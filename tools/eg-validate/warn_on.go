//go:build egwarn

package main

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/envoyproxy/gateway/api/v1alpha1/validation"
)

// warnings: what Envoy Gateway logs as warnings at start-up (versions with WarnEnvoyGateway).
func warnings(eg *egv1a1.EnvoyGateway) []string { return validation.WarnEnvoyGateway(eg) }
