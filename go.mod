module github.com/remotectl/remotectl

go 1.26.0
