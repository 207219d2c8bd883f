// Command genspec writes a generated OpenAPI 3.0 document with a given number of operations, for
// measuring how mockloop scales with the size of a spec (bench/scale.sh, and the benchmarks in
// this directory). Every operation has the same shape whatever the size, so that a server's
// work per request is the same on a 10-operation and a 3,000-operation document and only the
// size differs.
//
//	genspec -ops 3000 -o big.json   # the document
//	genspec -ops 3000 -urls         # one request path per GET operation, a line each
//
// The document has one resource per five operations: GET and POST /rN/items (a list with
// limit and cursor query parameters, a create with a JSON body) and GET, PUT and DELETE
// /rN/items/{itemId}, each resource with its own component schemas (ItemN, ItemListN) that
// refer to shared ones (User, Error), a shared parameter and response, and bearer security.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
)

func main() {
	ops := flag.Int("ops", 10, "number of operations")
	out := flag.String("o", "-", "output file (- for stdout)")
	urls := flag.Bool("urls", false, "print one request path per GET operation instead of the document")
	flag.Parse()
	if *ops < 1 {
		fmt.Fprintln(os.Stderr, "genspec: -ops must be at least 1")
		os.Exit(2)
	}
	var w io.Writer = os.Stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "genspec:", err)
			os.Exit(2)
		}
		defer f.Close()
		w = f
	}
	var err error
	if *urls {
		for _, u := range GetPaths(*ops) {
			if _, err = fmt.Fprintln(w, u); err != nil {
				break
			}
		}
	} else {
		_, err = w.Write(Generate(*ops))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "genspec:", err)
		os.Exit(2)
	}
}

// opsPerResource is the number of operations of one generated resource.
const opsPerResource = 5

// Generate returns an OpenAPI 3.0 JSON document with exactly ops operations.
func Generate(ops int) []byte {
	paths := map[string]any{}
	schemas := map[string]any{
		"User": map[string]any{
			"type":     "object",
			"required": []any{"id", "login"},
			"properties": map[string]any{
				"id":    map[string]any{"type": "integer", "format": "int64", "minimum": 1},
				"login": map[string]any{"type": "string", "minLength": 1, "maxLength": 39},
				"email": map[string]any{"type": "string", "format": "email"},
			},
		},
		"Error": map[string]any{
			"type":     "object",
			"required": []any{"message"},
			"properties": map[string]any{
				"message": map[string]any{"type": "string"},
				"code":    map[string]any{"type": "integer"},
			},
		},
	}
	left := ops
	for r := 0; left > 0; r++ {
		item, list := fmt.Sprintf("Item%d", r), fmt.Sprintf("ItemList%d", r)
		schemas[item] = map[string]any{
			"type":     "object",
			"required": []any{"id", "name", "status"},
			"properties": map[string]any{
				"id":        map[string]any{"type": "integer", "format": "int64", "minimum": 1},
				"name":      map[string]any{"type": "string", "minLength": 1, "maxLength": 64},
				"status":    map[string]any{"type": "string", "enum": []any{"active", "archived", "deleted"}},
				"tags":      map[string]any{"type": "array", "maxItems": 5, "items": map[string]any{"type": "string"}},
				"createdAt": map[string]any{"type": "string", "format": "date-time"},
				"owner":     ref("schemas", "User"),
			},
		}
		schemas[list] = map[string]any{
			"type":     "object",
			"required": []any{"items"},
			"properties": map[string]any{
				"items": map[string]any{"type": "array", "maxItems": 3, "items": ref("schemas", item)},
				"next":  map[string]any{"type": "string"},
			},
		}
		coll := map[string]any{}
		one := map[string]any{
			"parameters": []any{ref("parameters", "ItemId")},
		}
		paths[fmt.Sprintf("/r%d/items", r)] = coll
		paths[fmt.Sprintf("/r%d/items/{itemId}", r)] = one
		for _, op := range []struct {
			item   map[string]any
			method string
			body   map[string]any
		}{
			{coll, "get", map[string]any{
				"operationId": fmt.Sprintf("listItems%d", r),
				"parameters": []any{
					ref("parameters", "Limit"),
					map[string]any{"name": "cursor", "in": "query", "schema": map[string]any{"type": "string"}},
				},
				"responses": map[string]any{"200": jsonResponse("a page of items", ref("schemas", list))},
			}},
			{coll, "post", map[string]any{
				"operationId": fmt.Sprintf("createItem%d", r),
				"requestBody": map[string]any{
					"required": true,
					"content":  map[string]any{"application/json": map[string]any{"schema": ref("schemas", item)}},
				},
				"responses": map[string]any{
					"201": jsonResponse("the item created", ref("schemas", item)),
					"422": jsonResponse("invalid item", ref("schemas", "Error")),
				},
			}},
			{one, "get", map[string]any{
				"operationId": fmt.Sprintf("getItem%d", r),
				"responses": map[string]any{
					"200": jsonResponse("the item", ref("schemas", item)),
					"404": ref("responses", "NotFound"),
				},
			}},
			{one, "put", map[string]any{
				"operationId": fmt.Sprintf("replaceItem%d", r),
				"requestBody": map[string]any{
					"required": true,
					"content":  map[string]any{"application/json": map[string]any{"schema": ref("schemas", item)}},
				},
				"responses": map[string]any{
					"200": jsonResponse("the item replaced", ref("schemas", item)),
					"404": ref("responses", "NotFound"),
				},
			}},
			{one, "delete", map[string]any{
				"operationId": fmt.Sprintf("deleteItem%d", r),
				"responses": map[string]any{
					"204": map[string]any{"description": "deleted"},
					"404": ref("responses", "NotFound"),
				},
			}},
		} {
			if left == 0 {
				break
			}
			op.body["summary"] = fmt.Sprintf("%s on resource %d", op.method, r)
			op.item[op.method] = op.body
			left--
		}
		if len(one) == 1 { // only its parameters: no operation was added
			delete(paths, fmt.Sprintf("/r%d/items/{itemId}", r))
		}
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]any{"title": fmt.Sprintf("Generated API (%d operations)", ops), "version": "1.0.0"},
		"security": []any{
			map[string]any{"bearer": []any{}},
		},
		"paths": paths,
		"components": map[string]any{
			"schemas": schemas,
			"parameters": map[string]any{
				"ItemId": map[string]any{"name": "itemId", "in": "path", "required": true, "schema": map[string]any{"type": "integer", "minimum": 1}},
				"Limit":  map[string]any{"name": "limit", "in": "query", "schema": map[string]any{"type": "integer", "minimum": 1, "maximum": 100}},
			},
			"responses": map[string]any{
				"NotFound": jsonResponse("no such item", ref("schemas", "Error")),
			},
			"securitySchemes": map[string]any{
				"bearer": map[string]any{"type": "http", "scheme": "bearer"},
			},
		},
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		panic(err) // maps of strings, slices and numbers always encode
	}
	return append(b, '\n')
}

func ref(kind, name string) map[string]any {
	return map[string]any{"$ref": "#/components/" + kind + "/" + name}
}

func jsonResponse(desc string, schema any) map[string]any {
	return map[string]any{
		"description": desc,
		"content":     map[string]any{"application/json": map[string]any{"schema": schema}},
	}
}

// GetPaths is one request path for each GET operation of Generate(ops), in document order:
// /rN/items?limit=10 and /rN/items/1. Their answers are the same size whatever ops is.
func GetPaths(ops int) []string {
	var out []string
	for r := 0; r*opsPerResource < ops; r++ {
		out = append(out, fmt.Sprintf("/r%d/items?limit=10", r))
		if r*opsPerResource+2 < ops { // GET /rN/items/{itemId} is the resource's third operation
			out = append(out, fmt.Sprintf("/r%d/items/1", r))
		}
	}
	return out
}
