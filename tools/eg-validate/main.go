// eg-validate judges Envoy Gateway configuration files (the envoy-gateway.yaml key of the
// envoy-gateway-config ConfigMap) with Envoy Gateway's own code at one Envoy Gateway version:
// the file is decoded the way Envoy Gateway's config loader decodes it (a scheme holding only
// the EnvoyGateway type, the universal deserializer), defaults are set as at start-up, and
// api/v1alpha1/validation.ValidateEnvoyGateway runs. A second, strict decode reports the fields
// Envoy Gateway's lenient decoder drops without a word.
//
// Input (stdin): a JSON list of {"id": string, "config": string}. Output (stdout): a JSON list of
// {"id", "decodeError"?, "error"?, "dropped": [string], "warnings": [string]} in input order.
// `eg-validate version` prints the Envoy Gateway version it was built against.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/envoyproxy/gateway/api/v1alpha1/validation"
)

type input struct {
	ID     string `json:"id"`
	Config string `json:"config"`
}

type output struct {
	ID          string   `json:"id"`
	DecodeError string   `json:"decodeError,omitempty"`
	Error       string   `json:"error,omitempty"`
	Dropped     []string `json:"dropped"`
	Warnings    []string `json:"warnings"`
}

var scheme = runtime.NewScheme()

func init() {
	scheme.AddKnownTypes(egv1a1.GroupVersion, &egv1a1.EnvoyGateway{})
}

// decode mirrors Envoy Gateway's config.DecodeBytes (internal/envoygateway/config/decoder.go).
func decode(data []byte, strict bool) (*egv1a1.EnvoyGateway, error) {
	var factory serializer.CodecFactory
	if strict {
		factory = serializer.NewCodecFactory(scheme, serializer.EnableStrict)
	} else {
		factory = serializer.NewCodecFactory(scheme)
	}
	obj, gvk, err := factory.UniversalDeserializer().Decode(data, nil, nil)
	if err != nil {
		return nil, err
	}
	if gvk.Group != egv1a1.GroupVersion.Group || gvk.Version != egv1a1.GroupVersion.Version || gvk.Kind != egv1a1.KindEnvoyGateway {
		return nil, errors.New("failed to decode unmatched resource type")
	}
	eg, ok := obj.(*egv1a1.EnvoyGateway)
	if !ok {
		return nil, errors.New("failed to convert object to EnvoyGateway type")
	}
	return eg, nil
}

// dropped lists what the strict decoder objects to and the lenient one ignores.
func dropped(data []byte) []string {
	out := []string{}
	_, err := decode(data, true)
	if err == nil {
		return out
	}
	if strictErr, ok := runtime.AsStrictDecodingError(err); ok {
		for _, e := range strictErr.Errors() {
			out = append(out, e.Error())
		}
	}
	return out
}

func judge(in input) (out output) {
	out = output{ID: in.ID, Dropped: []string{}, Warnings: []string{}}
	defer func() {
		// Envoy Gateway would stop just the same: report it as its start-up error.
		if r := recover(); r != nil {
			out.Error = fmt.Sprintf("panic: %v", r)
		}
	}()
	data := []byte(in.Config)
	eg, err := decode(data, false)
	if err != nil {
		out.DecodeError = err.Error()
		return out
	}
	out.Dropped = dropped(data)
	// As at start-up (internal/cmd/server.go): defaults first, then validation.
	eg.SetEnvoyGatewayDefaults()
	if err := validation.ValidateEnvoyGateway(eg); err != nil {
		out.Error = err.Error()
		return out
	}
	out.Warnings = append(out.Warnings, warnings(eg)...)
	return out
}

func gatewayVersion() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/envoyproxy/gateway" {
				return dep.Version
			}
		}
	}
	return "unknown"
}

func main() {
	if len(os.Args) > 1 {
		if os.Args[1] == "version" {
			fmt.Println(gatewayVersion())
			return
		}
		fmt.Fprintln(os.Stderr, "usage: eg-validate [version] < [{\"id\": ..., \"config\": ...}, ...]")
		os.Exit(2)
	}
	raw, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "eg-validate: reading stdin:", err)
		os.Exit(1)
	}
	var inputs []input
	if err := json.Unmarshal(raw, &inputs); err != nil {
		fmt.Fprintln(os.Stderr, "eg-validate: stdin is not a JSON list of {id, config}:", err)
		os.Exit(2)
	}
	outputs := make([]output, 0, len(inputs))
	for _, in := range inputs {
		outputs = append(outputs, judge(in))
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(outputs); err != nil {
		fmt.Fprintln(os.Stderr, "eg-validate:", err)
		os.Exit(1)
	}
}
