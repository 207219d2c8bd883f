package demo

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func call(t *testing.T, l *Live, method, target, body string, header ...string) (*httptest.ResponseRecorder, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	l.ServeHTTP(w, r)
	var v map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: not JSON: %s", method, target, w.Body)
		}
	}
	return w, v
}

const (
	dune   = "9b2f6a52-3c1d-4e8a-9f0b-2d7c5e1a4b60"
	hobbit = "3e7d1c84-5a2b-4f6e-8d90-1b3c5a7e9f21"
	book   = `{"isbn":"9780261103573","title":"The Fellowship of the Ring","author":"J. R. R. Tolkien","genre":"fantasy","price":10.99}`
	order  = `{"items":[{"book_id":"` + dune + `","quantity":2}],"shipping_address":{"name":"Ada Lovelace","street":"12 St James's Square","city":"London","postcode":"SW1Y 4JH","country":"GB"}}`
)

func TestLiveDrifts(t *testing.T) {
	l := NewLive()

	w, page := call(t, l, "GET", "/books", "")
	items := page["items"].([]any)
	if w.Code != 200 || len(items) != 2 || items[0].(map[string]any)["id"] != hobbit {
		t.Errorf("the list comes in another order than the spec's example: %d %v", w.Code, page)
	}
	if price := items[1].(map[string]any)["price"].(float64); price != 10.04 {
		t.Errorf("Dune's price = %v, want 10.04 (0.5%% above the example's 9.99)", price)
	}
	if _, p := call(t, l, "GET", "/books?genre=fantasy&limit=1", ""); len(p["items"].([]any)) != 1 {
		t.Errorf("genre and limit filter: %v", p)
	}
	if w, _ := call(t, l, "GET", "/books?limit=0", ""); w.Code != 400 {
		t.Errorf("limit=0: %d", w.Code)
	}

	_, me := call(t, l, "GET", "/me", "", "Authorization", "Bearer t")
	if _, ok := me["favorite_genres"]; !ok || me["favourite_genres"] != nil {
		t.Errorf("GET /me: want favourite_genres renamed favorite_genres: %v", me)
	}
	_, me2 := call(t, l, "GET", "/me", "", "X-API-Key", "k")
	if me["request_id"] == me2["request_id"] || !strings.HasPrefix(me["request_id"].(string), "req_") {
		t.Errorf("request_id is not fresh per request: %v %v", me["request_id"], me2["request_id"])
	}
	w1, _ := call(t, l, "GET", "/books/"+dune, "")
	w2, _ := call(t, l, "GET", "/books/"+dune, "")
	if w1.Header().Get("X-Request-Id") == w2.Header().Get("X-Request-Id") {
		t.Error("X-Request-Id is not fresh per request")
	}
}

func TestLiveIsASandbox(t *testing.T) {
	l := NewLive()
	if w, _ := call(t, l, "POST", "/books", book); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("POST /books without a key: %d", w.Code)
	}
	w, created := call(t, l, "POST", "/books", book, "X-API-Key", "k")
	if w.Code != 201 || created["id"] == "" || w.Header().Get("Location") != "/books/"+created["id"].(string) {
		t.Errorf("POST /books: %d %v %q", w.Code, created, w.Header().Get("Location"))
	}
	if w, _ := call(t, l, "POST", "/books", `{"title":""}`, "X-API-Key", "k"); w.Code != 422 {
		t.Errorf("an invalid book: %d", w.Code)
	}
	if w, b := call(t, l, "PUT", "/books/"+dune, strings.Replace(book, "10.99", "7.99", 1), "X-API-Key", "k"); w.Code != 200 || b["price"] != 7.99 || b["in_stock"] != 12.0 {
		t.Errorf("PUT: %d %v", w.Code, b)
	}
	if w, _ := call(t, l, "DELETE", "/books/"+dune, "", "X-API-Key", "k"); w.Code != 204 {
		t.Errorf("DELETE: %d", w.Code)
	}
	// Nothing of that was kept.
	if _, page := call(t, l, "GET", "/books", ""); len(page["items"].([]any)) != 2 {
		t.Errorf("the catalogue changed: %v", page)
	}
	if w, b := call(t, l, "GET", "/books/"+dune, ""); w.Code != 200 || b["price"] != 10.04 {
		t.Errorf("Dune after PUT and DELETE: %d %v", w.Code, b)
	}
	if w, b := call(t, l, "GET", "/books/00000000-0000-0000-0000-000000000000", ""); w.Code != 404 || b["code"] != "not_found" {
		t.Errorf("unknown book: %d %v", w.Code, b)
	}

	w, o := call(t, l, "POST", "/orders", order, "Authorization", "Bearer t")
	if w.Code != 201 || o["total"].(map[string]any)["amount"] != 20.08 || o["status"] != "pending" || o["placed_at"] == "" {
		t.Errorf("POST /orders: %d %v", w.Code, o)
	}
	if w, got := call(t, l, "GET", "/orders/"+o["id"].(string), "", "Authorization", "Bearer t"); w.Code != 200 || got["id"] != o["id"] {
		t.Errorf("the order placed is kept: %d %v", w.Code, got)
	}
	if w, _ := call(t, l, "GET", "/orders/"+o["id"].(string), ""); w.Code != 401 {
		t.Errorf("GET /orders without a token: %d", w.Code)
	}
	if w, _ := call(t, l, "POST", "/orders", `{"items":[{"book_id":"nope","quantity":1}],"shipping_address":{}}`, "Authorization", "Bearer t"); w.Code != 422 {
		t.Errorf("an order for an unknown book: %d", w.Code)
	}
	if w, _ := call(t, l, "GET", "/nowhere", ""); w.Code != http.StatusNotFound {
		t.Errorf("unknown route: %d", w.Code)
	}
}
