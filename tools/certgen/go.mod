module dot-cluster/tools/certgen

go 1.25
