//go:build !egwarn

package main

import egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"

// warnings: Envoy Gateway versions before validation.WarnEnvoyGateway warn about nothing.
func warnings(*egv1a1.EnvoyGateway) []string { return nil }
