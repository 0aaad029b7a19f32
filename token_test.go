package csrfkit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTokenRoundTrip(t *testing.T) {
	ring := newKeyRing([][]byte{testKey})
	var s [secretLen]byte
	newSecret(&s)
	now := time.Now()
	a, b := ring.mint(&s, "sess", now), ring.mint(&s, "sess", now)
	if a == b {
		t.Fatal("two hand-outs are identical: the one-time pad is not fresh")
	}
	if len(a) != tokenLen {
		t.Fatalf("token length %d, want %d", len(a), tokenLen)
	}
	for _, tok := range []string{a, b} {
		issued, err := ring.verify(tok, &s, "sess")
		if err != nil || issued.Unix() != now.Unix() {
			t.Fatalf("verify = %v, %v", issued, err)
		}
	}
}

// TestTokenVerify has a row for every way a token can fail, and near misses.
func TestTokenVerify(t *testing.T) {
	ring := newKeyRing([][]byte{testKey})
	var s, other [secretLen]byte
	newSecret(&s)
	newSecret(&other)
	now := time.Now()
	good := ring.mint(&s, "sess", now)
	flip := func(tok string, i int) string {
		b := []byte(tok)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	otherKey := newKeyRing([][]byte{bytes.Repeat([]byte("x"), 32)}).mint(&s, "sess", now)
	rows := []struct {
		name, tok, sid string
		secret         *[secretLen]byte
		want           error
	}{
		{"valid", good, "sess", &s, nil},
		{"other secret", good, "sess", &other, ErrTokenInvalid},
		{"other session", good, "sess2", &s, ErrTokenInvalid},
		{"no session", good, "", &s, ErrTokenInvalid},
		{"session prefix", good, "ses", &s, ErrTokenInvalid},
		{"other key", otherKey, "sess", &s, ErrTokenInvalid},
		{"empty", "", "sess", &s, ErrTokenInvalid},
		{"one short", good[:tokenLen-1], "sess", &s, ErrTokenInvalid},
		{"one long", good + "A", "sess", &s, ErrTokenInvalid},
		{"padded", good[:tokenLen-1] + "=", "sess", &s, ErrTokenInvalid},
		{"std alphabet", strings.NewReplacer("-", "+", "_", "/").Replace(good), "sess", &s, errIfDiffers(good)},
		{"space", " " + good[1:], "sess", &s, ErrTokenInvalid},
		{"non-ascii", "é" + good[2:], "sess", &s, ErrTokenInvalid},
		{"nul", "\x00" + good[1:], "sess", &s, ErrTokenInvalid},
		{"flipped version char", flip(good, 0), "sess", &s, ErrTokenInvalid},
		{"flipped time", flip(good, 5), "sess", &s, ErrTokenInvalid},
		{"flipped pad", flip(good, 20), "sess", &s, ErrTokenInvalid},
		{"flipped mac", flip(good, tokenLen-1), "sess", &s, ErrTokenInvalid},
		{"megabytes", strings.Repeat("A", 4<<20), "sess", &s, ErrTokenInvalid},
		{"all A", strings.Repeat("A", tokenLen), "sess", &s, ErrTokenInvalid},
		{"secret as token", secretText(&s), "sess", &s, ErrTokenInvalid},
	}
	for _, tt := range rows {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ring.verify(tt.tok, tt.secret, tt.sid)
			if !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
				t.Errorf("verify = %v, want %v", err, tt.want)
			}
		})
	}
}

// errIfDiffers: replacing URL-alphabet characters changes the token only if
// it had any; a token without '-' or '_' stays valid.
func errIfDiffers(tok string) error {
	if strings.ContainsAny(tok, "-_") {
		return ErrTokenInvalid
	}
	return nil
}

func TestTokenVersionByte(t *testing.T) {
	ring := newKeyRing([][]byte{testKey})
	var s [secretLen]byte
	newSecret(&s)
	var raw [rawTokenLen]byte
	if !decodeToken(&raw, ring.mint(&s, "", time.Now())) {
		t.Fatal("decode failed")
	}
	raw[0] = 2
	var out [tokenLen]byte
	encodeToken(&out, &raw)
	if _, err := ring.verify(string(out[:]), &s, ""); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("version 2 token: %v", err)
	}
}

func TestKeyRing(t *testing.T) {
	oldKey, newKey := bytes.Repeat([]byte("o"), 32), bytes.Repeat([]byte("n"), 40)
	var s [secretLen]byte
	newSecret(&s)
	before := newKeyRing([][]byte{oldKey})
	during := newKeyRing([][]byte{newKey, oldKey})
	after := newKeyRing([][]byte{newKey})
	old := before.mint(&s, "", time.Now())
	if _, err := during.verify(old, &s, ""); err != nil {
		t.Fatalf("old token during roll: %v", err)
	}
	fresh := during.mint(&s, "", time.Now())
	if _, err := after.verify(fresh, &s, ""); err != nil {
		t.Fatalf("token signed by first key: %v", err)
	}
	if _, err := after.verify(old, &s, ""); !errors.Is(err, ErrTokenInvalid) {
		t.Fatalf("old token after roll: %v", err)
	}
}

func TestCheckAge(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	rows := []struct {
		name   string
		issued time.Time
		ttl    time.Duration
		want   error
	}{
		{"no ttl, old", now.Add(-1000 * time.Hour), 0, nil},
		{"within ttl", now.Add(-59 * time.Minute), time.Hour, nil},
		{"at ttl", now.Add(-time.Hour), time.Hour, nil},
		{"past ttl", now.Add(-time.Hour - time.Second), time.Hour, ErrTokenExpired},
		{"small skew", now.Add(30 * time.Second), time.Hour, nil},
		{"future, no ttl", now.Add(2 * time.Minute), 0, nil},
		{"future, ttl", now.Add(2 * time.Minute), time.Hour, ErrTokenInvalid},
	}
	for _, tt := range rows {
		if err := checkAge(tt.issued, now, tt.ttl); !errors.Is(err, tt.want) || (err == nil) != (tt.want == nil) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestSecretEncoding(t *testing.T) {
	var s, back [secretLen]byte
	for i := 0; i < 100; i++ {
		newSecret(&s)
		enc := secretText(&s)
		if len(enc) != 43 || !decodeSecret(&back, enc) || back != s {
			t.Fatalf("round trip failed for %q", enc)
		}
	}
	s = [secretLen]byte{} // all zero: encodes as 43 'A'
	enc := secretText(&s)
	bad := []string{
		"", enc[:42], enc + "A", enc[:42] + "=", "!" + enc[1:], "+" + enc[1:],
		enc[:42] + "B", // last character's two spare bits set: non-canonical
		enc[:42] + "D",
	}
	for _, b := range bad {
		if decodeSecret(&back, b) {
			t.Errorf("decodeSecret(%q) accepted", b)
		}
	}
	if !decodeSecret(&back, enc[:42]+"E") || back[31] != 0x01 {
		t.Error("canonical last character rejected")
	}
}
