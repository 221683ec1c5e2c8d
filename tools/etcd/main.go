// etcd runs etcd's server from go.etcd.io/etcd/server/v3 (pinned in go.mod), the store of the
// local control plane (npm run cluster).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
