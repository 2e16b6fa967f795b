package nodeset_test

import (
	"fmt"

	"github.com/remotectl/remotectl/nodeset"
)

func ExampleExpand() {
	names, err := nodeset.Expand("rack[1-2]-n[08-09,10]", 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(names)

	_, err = nodeset.Expand("web[10-2]", 0)
	fmt.Println(err)
	// Output:
	// [rack1-n08 rack1-n09 rack1-n10 rack2-n08 rack2-n09 rack2-n10]
	// node set "web[10-2]", column 5: reversed range 10-2; write the smaller bound first, as in [2-10]
}

func ExampleFold() {
	fmt.Println(nodeset.Fold([]string{"web03", "web01", "web02", "web07", "db1", "web10"}))
	// Output: db1,web[01-03,07,10]
}
