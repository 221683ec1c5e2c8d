// eg-validate judges Envoy Gateway configuration files (the envoy-gateway.yaml key of the
// envoy-gateway-config ConfigMap) with Envoy Gateway's own code at one Envoy Gateway version:
// the file is decoded the way Envoy Gateway's config loader decodes it (a scheme holding only
// the EnvoyGateway type, the universal deserializer), defaults are set as at start-up, and
// api/v1alpha1/validation.ValidateEnvoyGateway runs. A second, strict decode reports the fields
// Envoy Gateway's lenient decoder drops without a word.
//
// When validation fails, the field that causes it is found with the same code: the deepest key of
// the file whose removal changes Envoy Gateway's answer ("at", a list of keys and list indexes).
//
// Input (stdin): a JSON list of {"id": string, "config": string}. Output (stdout): a JSON list of
// {"id", "decodeError"?, "error"?, "at"?, "dropped": [string], "warnings": [string]} in input order.
// `eg-validate version` prints the Envoy Gateway version it was built against.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

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
	At          []any    `json:"at,omitempty"`
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

func judge(in input) output {
	out := output{ID: in.ID, Dropped: []string{}, Warnings: []string{}}
	data := []byte(in.Config)
	eg, err := decode(data, false)
	if err != nil {
		out.DecodeError = err.Error()
		out.At = locate(data)
		return out
	}
	out.Dropped = dropped(data)
	// As at start-up (internal/cmd/server.go): defaults first, then validation.
	if err := validate(eg); err != nil {
		out.Error = err.Error()
		out.At = locate(data)
		return out
	}
	out.Warnings = append(out.Warnings, warnings(eg)...)
	return out
}

// validate runs what Envoy Gateway runs at start-up (internal/cmd/server.go): defaults, then validation.
func validate(eg *egv1a1.EnvoyGateway) (err error) {
	defer func() {
		// Envoy Gateway would stop just the same: report it as its start-up error.
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	eg.SetEnvoyGatewayDefaults()
	return validation.ValidateEnvoyGateway(eg)
}

// answer is Envoy Gateway's verdict on a config given as a JSON tree.
func answer(tree any) string {
	data, err := json.Marshal(tree)
	if err != nil {
		return "unencodable"
	}
	eg, err := decode(data, false)
	if err != nil {
		return "decode: " + err.Error()
	}
	if err := validate(eg); err != nil {
		return err.Error()
	}
	return ""
}

// without is a copy of tree with the element at path removed.
func without(tree any, path []any) any {
	if len(path) == 0 {
		return nil
	}
	switch node := tree.(type) {
	case map[string]any:
		out := make(map[string]any, len(node))
		for k, v := range node {
			out[k] = v
		}
		key := path[0].(string)
		if len(path) == 1 {
			delete(out, key)
		} else {
			out[key] = without(node[key], path[1:])
		}
		return out
	case []any:
		i := path[0].(int)
		out := make([]any, 0, len(node))
		for j, v := range node {
			switch {
			case j != i:
				out = append(out, v)
			case len(path) > 1:
				out = append(out, without(v, path[1:]))
			}
		}
		return out
	}
	return tree
}

// children lists the keys (sorted) or indexes of a map or list.
func children(node any) []any {
	var out []any
	switch n := node.(type) {
	case map[string]any:
		keys := make([]string, 0, len(n))
		for k := range n {
			if k != "apiVersion" && k != "kind" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			out = append(out, k)
		}
	case []any:
		for i := range n {
			out = append(out, i)
		}
	}
	return out
}

func child(node any, key any) any {
	switch n := node.(type) {
	case map[string]any:
		return n[key.(string)]
	case []any:
		return n[key.(int)]
	}
	return nil
}

// locate finds what causes an error: the deepest element of the file whose removal makes Envoy
// Gateway accept it (the first such in key order), or nothing when no single removal does.
func locate(data []byte) []any {
	raw, err := utilyaml.ToJSON(data)
	if err != nil {
		return nil
	}
	var tree any
	if err := json.Unmarshal(raw, &tree); err != nil {
		return nil
	}
	var best []any
	budget := 5000
	var walk func(node any, path []any)
	walk = func(node any, path []any) {
		for _, k := range children(node) {
			if budget--; budget < 0 {
				return
			}
			candidate := append(append([]any{}, path...), k)
			if answer(without(tree, candidate)) == "" && len(candidate) > len(best) {
				best = candidate
			}
			walk(child(node, k), candidate)
		}
	}
	walk(tree, []any{})
	return best
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
