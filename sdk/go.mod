module github.com/breeze-rmm/breeze/sdk

go 1.26
