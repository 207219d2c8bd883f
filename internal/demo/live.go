// Package demo is a "live" implementation of the embedded example API (the bookshop of
// spec.Example) that drifts from its spec the way real APIs drift from theirs, so that the
// main job, mock against live, can be shown on a machine with no network: `mockloop demo`
// runs it in process, `mockloop serve --demo-live` serves it.
//
// Against the spec's examples it differs in exactly these ways:
//
//   - noise: server-assigned ids and a fresh placed_at on what POST creates, a request_id in
//     GET /me, the book list in another order, Dune's price 0.5% higher (and the order total
//     with it);
//   - drift: GET /me spells favourite_genres as favorite_genres, a renamed field.
//
// It is a sandbox, as the test environments of real APIs are: the catalogue never changes
// (POST, PUT and DELETE on books are checked and answered, not kept), so any sequence of
// requests sees the same books; orders placed are kept (up to 1000), so GET /orders/{id}
// finds them.
package demo

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Book is a catalogue entry as the API sends it.
type Book struct {
	ID        string  `json:"id"`
	ISBN      string  `json:"isbn"`
	Title     string  `json:"title"`
	Author    string  `json:"author"`
	Genre     string  `json:"genre,omitempty"`
	Price     float64 `json:"price"`
	InStock   int     `json:"in_stock"`
	Published string  `json:"published,omitempty"`
}

// The catalogue the live API starts with: the spec's example books, in another order, Dune
// 0.5% dearer.
func catalogue() []Book {
	return []Book{
		{ID: "3e7d1c84-5a2b-4f6e-8d90-1b3c5a7e9f21", ISBN: "9780547928227", Title: "The Hobbit", Author: "J. R. R. Tolkien", Genre: "fantasy", Price: 8.49, InStock: 0},
		{ID: "9b2f6a52-3c1d-4e8a-9f0b-2d7c5e1a4b60", ISBN: "9780441013593", Title: "Dune", Author: "Frank Herbert", Genre: "science-fiction", Price: 10.04, InStock: 12},
	}
}

// maxStored bounds the orders kept, so a long-running demo server stays small.
const maxStored = 1000

// Live is the drifting bookshop. Its zero value is not usable; call NewLive.
type Live struct {
	mu     sync.Mutex
	books  []Book
	orders map[string]map[string]any
	now    func() time.Time
	id     func() string
	mux    *http.ServeMux
}

// NewLive returns the live bookshop, as freshly started.
func NewLive() *Live {
	l := &Live{books: catalogue(), orders: map[string]map[string]any{}, now: time.Now, id: newUUID}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /books", l.listBooks)
	mux.HandleFunc("POST /books", l.createBook)
	mux.HandleFunc("GET /books/{bookId}", l.getBook)
	mux.HandleFunc("PUT /books/{bookId}", l.updateBook)
	mux.HandleFunc("DELETE /books/{bookId}", l.deleteBook)
	mux.HandleFunc("POST /orders", l.createOrder)
	mux.HandleFunc("GET /orders/{orderId}", l.getOrder)
	mux.HandleFunc("GET /me", l.getAccount)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no route "+r.Method+" "+r.URL.Path)
	})
	l.mux = mux
	return l
}

// ServeHTTP answers as the live bookshop. Every answer carries a fresh X-Request-Id, as real
// APIs' do.
func (l *Live) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Request-Id", "req_"+strings.ReplaceAll(l.id(), "-", "")[:16])
	w.Header().Set("Server", "bookshop-live/1.4")
	l.mux.ServeHTTP(w, r)
}

func (l *Live) listBooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			writeError(w, http.StatusBadRequest, "invalid_request", "limit: must be between 1 and 100")
			return
		}
		limit = n
	}
	genre := q.Get("genre")
	l.mu.Lock()
	items := []Book{}
	for _, b := range l.books {
		if genre == "" || b.Genre == genre {
			items = append(items, b)
		}
	}
	l.mu.Unlock()
	var next any = "eyJwYWdlIjoyfQ"
	if len(items) > limit {
		items = items[:limit]
	}
	w.Header().Set("X-Rate-Limit", "59")
	writeJSON(w, http.StatusOK, map[string]any{"items": items, "next_cursor": next})
}

func (l *Live) getBook(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("bookId")
	l.mu.Lock()
	i := l.find(id)
	var b Book
	if i >= 0 {
		b = l.books[i]
	}
	l.mu.Unlock()
	if i < 0 {
		writeError(w, http.StatusNotFound, "not_found", "no book with id "+id)
		return
	}
	w.Header().Set("X-Rate-Limit", "59")
	writeJSON(w, http.StatusOK, b)
}

func (l *Live) createBook(w http.ResponseWriter, r *http.Request) {
	if !hasAPIKey(r) {
		unauthorized(w, `ApiKey realm="bookshop"`)
		return
	}
	b, ok := readBook(w, r)
	if !ok {
		return
	}
	b.ID = l.id() // a sandbox: the catalogue does not change
	w.Header().Set("Location", "/books/"+b.ID)
	writeJSON(w, http.StatusCreated, b)
}

func (l *Live) updateBook(w http.ResponseWriter, r *http.Request) {
	if !hasAPIKey(r) {
		unauthorized(w, `ApiKey realm="bookshop"`)
		return
	}
	id := r.PathValue("bookId")
	b, ok := readBook(w, r)
	if !ok {
		return
	}
	l.mu.Lock()
	i := l.find(id)
	if i >= 0 {
		b.ID, b.InStock = id, l.books[i].InStock // answered, not kept
	}
	l.mu.Unlock()
	if i < 0 {
		writeError(w, http.StatusNotFound, "not_found", "no book with id "+id)
		return
	}
	writeJSON(w, http.StatusOK, b)
}

func (l *Live) deleteBook(w http.ResponseWriter, r *http.Request) {
	if !hasAPIKey(r) {
		unauthorized(w, `ApiKey realm="bookshop"`)
		return
	}
	id := r.PathValue("bookId")
	l.mu.Lock()
	i := l.find(id) // answered, not done
	l.mu.Unlock()
	if i < 0 {
		writeError(w, http.StatusNotFound, "not_found", "no book with id "+id)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type orderLine struct {
	BookID   string `json:"book_id"`
	Quantity int    `json:"quantity"`
}

type newOrder struct {
	Items           []orderLine    `json:"items"`
	ShippingAddress map[string]any `json:"shipping_address"`
}

func (l *Live) createOrder(w http.ResponseWriter, r *http.Request) {
	if !hasBearer(r) {
		unauthorized(w, `Bearer realm="bookshop"`)
		return
	}
	var in newOrder
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&in); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_request", "body: "+err.Error())
		return
	}
	if len(in.Items) == 0 || in.ShippingAddress == nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_request", "items and shipping_address are required")
		return
	}
	total := 0.0
	l.mu.Lock()
	for _, line := range in.Items {
		i := l.find(line.BookID)
		if i < 0 || line.Quantity < 1 || line.Quantity > 10 {
			l.mu.Unlock()
			writeError(w, http.StatusUnprocessableEntity, "invalid_request", fmt.Sprintf("items: no book %s, or quantity not 1 to 10", line.BookID))
			return
		}
		total += l.books[i].Price * float64(line.Quantity)
	}
	order := map[string]any{
		"id":               l.id(),
		"status":           "pending",
		"placed_at":        l.now().UTC().Format(time.RFC3339),
		"customer_email":   "ada@example.com",
		"items":            in.Items,
		"total":            map[string]any{"amount": math.Round(total*100) / 100, "currency": "GBP"},
		"shipping_address": in.ShippingAddress,
		"tracking_url":     nil,
	}
	if len(l.orders) < maxStored {
		l.orders[order["id"].(string)] = order
	}
	l.mu.Unlock()
	writeJSON(w, http.StatusCreated, order)
}

func (l *Live) getOrder(w http.ResponseWriter, r *http.Request) {
	if !hasBearer(r) {
		unauthorized(w, `Bearer realm="bookshop"`)
		return
	}
	id := r.PathValue("orderId")
	l.mu.Lock()
	order, ok := l.orders[id]
	l.mu.Unlock()
	if !ok {
		writeError(w, http.StatusNotFound, "not_found", "no order with id "+id)
		return
	}
	writeJSON(w, http.StatusOK, order)
}

func (l *Live) getAccount(w http.ResponseWriter, r *http.Request) {
	if !hasBearer(r) && !hasAPIKey(r) {
		unauthorized(w, `Bearer realm="bookshop"`)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":           "7a1d3f5e-2b4c-4d6e-8f90-a1b2c3d4e5f6",
		"email":        "ada@example.com",
		"name":         "Ada Lovelace",
		"member_since": "2021-03-14T09:26:53Z",
		// The drift: renamed in a release the spec has not caught up with.
		"favorite_genres": []string{"science-fiction", "history"},
		"request_id":      "req_" + strings.ReplaceAll(l.id(), "-", "")[:16],
	})
}

// find returns the index of the book with id, or -1. l.mu is held.
func (l *Live) find(id string) int {
	return slices.IndexFunc(l.books, func(b Book) bool { return b.ID == id })
}

func readBook(w http.ResponseWriter, r *http.Request) (Book, bool) {
	var b Book
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&b); err != nil {
		writeError(w, http.StatusUnprocessableEntity, "invalid_request", "body: "+err.Error())
		return b, false
	}
	if b.ISBN == "" || b.Title == "" || b.Author == "" || b.Price <= 0 {
		writeError(w, http.StatusUnprocessableEntity, "invalid_request", "isbn, title, author and a positive price are required")
		return b, false
	}
	return b, true
}

func hasAPIKey(r *http.Request) bool { return r.Header.Get("X-API-Key") != "" }

func hasBearer(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && strings.TrimSpace(tok) != ""
}

func unauthorized(w http.ResponseWriter, challenge string) {
	w.Header().Set("WWW-Authenticate", challenge)
	writeError(w, http.StatusUnauthorized, "unauthorized", "a valid credential is required")
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{"code": code, "message": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// newUUID is a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
