// certgen writes the keys and X.509 certificates the test kit and the local control plane need
// (a CA, server and client certificates signed by it, a self-signed token signer), using only
// Go's standard library, so that no system openssl is needed.
//
//	certgen ca   --out DIR/ca                      → ca.crt, ca.key
//	certgen cert --ca DIR/ca --out DIR/server --cn NAME [--ip 127.0.0.1] [--dns localhost] [--org O] [--server] [--client]
//	certgen self --out DIR/token --cn NAME         → a self-signed RSA certificate (an RS256 signer)
//
// Keys are PKCS#8 PEM; every file is written with mode 0600 (keys) or 0644 (certificates).
package main

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type list []string

func (l *list) String() string     { return strings.Join(*l, ",") }
func (l *list) Set(v string) error { *l = append(*l, v); return nil }

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "ca":
		err = runCA(os.Args[2:])
	case "cert":
		err = runCert(os.Args[2:])
	case "self":
		err = runSelf(os.Args[2:])
	case "version", "--version":
		fmt.Println("certgen 1")
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "certgen:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: certgen ca|cert|self [flags] (see the source for flags)")
	os.Exit(2)
}

func serial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

func validity(days int) (time.Time, time.Time) {
	now := time.Now()
	return now.Add(-time.Hour), now.Add(time.Duration(days) * 24 * time.Hour)
}

func writePEM(path, kind string, der []byte, mode os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), mode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func writePair(out string, certDER []byte, key crypto.Signer) error {
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := writePEM(out+".key", "PRIVATE KEY", keyDER, 0o600); err != nil {
		return err
	}
	return writePEM(out+".crt", "CERTIFICATE", certDER, 0o644)
}

func ecKey() (crypto.Signer, error) { return ecdsa.GenerateKey(elliptic.P256(), rand.Reader) }

func runCA(args []string) error {
	fs := flag.NewFlagSet("ca", flag.ExitOnError)
	out := fs.String("out", "", "path prefix of the files to write (PREFIX.crt, PREFIX.key)")
	cn := fs.String("cn", "dot-cluster local CA", "common name")
	days := fs.Int("days", 30, "validity in days")
	_ = fs.Parse(args)
	if *out == "" {
		return errors.New("ca: --out is required")
	}
	key, err := ecKey()
	if err != nil {
		return err
	}
	return writeSelfSigned(*out, key, *cn, *days, x509.KeyUsageCertSign|x509.KeyUsageDigitalSignature|x509.KeyUsageCRLSign)
}

// writeSelfSigned writes a self-signed CA certificate for key, and the key, to out.crt/out.key.
func writeSelfSigned(out string, key crypto.Signer, cn string, days int, usage x509.KeyUsage) error {
	sn, err := serial()
	if err != nil {
		return err
	}
	from, to := validity(days)
	tpl := &x509.Certificate{
		SerialNumber:          sn,
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             from,
		NotAfter:              to,
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              usage,
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, key.Public(), key)
	if err != nil {
		return err
	}
	return writePair(out, der, key)
}

func loadCA(prefix string) (*x509.Certificate, crypto.Signer, error) {
	certPEM, err := os.ReadFile(prefix + ".crt")
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := os.ReadFile(prefix + ".key")
	if err != nil {
		return nil, nil, err
	}
	cb, _ := pem.Decode(certPEM)
	kb, _ := pem.Decode(keyPEM)
	if cb == nil || kb == nil {
		return nil, nil, fmt.Errorf("%s.crt/.key: not PEM", prefix)
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return nil, nil, err
	}
	signer, ok := k.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("%s.key: not a signing key", prefix)
	}
	return cert, signer, nil
}

func runCert(args []string) error {
	fs := flag.NewFlagSet("cert", flag.ExitOnError)
	ca := fs.String("ca", "", "path prefix of the CA (PREFIX.crt, PREFIX.key)")
	out := fs.String("out", "", "path prefix of the files to write")
	cn := fs.String("cn", "", "common name")
	days := fs.Int("days", 30, "validity in days")
	server := fs.Bool("server", false, "usable as a TLS server certificate")
	client := fs.Bool("client", false, "usable as a TLS client certificate")
	var ips, dns, orgs list
	fs.Var(&ips, "ip", "IP subject alternative name (repeatable)")
	fs.Var(&dns, "dns", "DNS subject alternative name (repeatable)")
	fs.Var(&orgs, "org", "organization (repeatable; Kubernetes reads groups from it)")
	_ = fs.Parse(args)
	if *ca == "" || *out == "" || *cn == "" {
		return errors.New("cert: --ca, --out and --cn are required")
	}
	if !*server && !*client {
		return errors.New("cert: say --server, --client or both")
	}
	caCert, caKey, err := loadCA(*ca)
	if err != nil {
		return err
	}
	key, err := ecKey()
	if err != nil {
		return err
	}
	sn, err := serial()
	if err != nil {
		return err
	}
	from, to := validity(*days)
	tpl := &x509.Certificate{
		SerialNumber: sn,
		Subject:      pkix.Name{CommonName: *cn, Organization: orgs},
		NotBefore:    from,
		NotAfter:     to,
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		DNSNames:     dns,
	}
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return fmt.Errorf("cert: --ip %q is not an IP address", s)
		}
		tpl.IPAddresses = append(tpl.IPAddresses, ip)
	}
	if *server {
		tpl.ExtKeyUsage = append(tpl.ExtKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	if *client {
		tpl.ExtKeyUsage = append(tpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, caCert, key.Public(), caKey)
	if err != nil {
		return err
	}
	return writePair(*out, der, key)
}

func runSelf(args []string) error {
	fs := flag.NewFlagSet("self", flag.ExitOnError)
	out := fs.String("out", "", "path prefix of the files to write")
	cn := fs.String("cn", "", "common name")
	days := fs.Int("days", 2, "validity in days")
	_ = fs.Parse(args)
	if *out == "" || *cn == "" {
		return errors.New("self: --out and --cn are required")
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	return writeSelfSigned(*out, key, *cn, *days, x509.KeyUsageDigitalSignature|x509.KeyUsageCertSign)
}
