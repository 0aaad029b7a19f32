package csrfkit

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"hash"
	mrand "math/rand/v2"
	"sync"
	"time"
)

// Token format, version 1 (72 bytes, 96 base64url characters, no padding):
//
//	version(1) ‖ issued(7, big-endian Unix seconds; 0 without a TokenTTL) ‖ pad(32) ‖ pad ⊕ MAC(32)
//	MAC = HMAC-SHA256(key, version ‖ issued ‖ secret ‖ session-id)
//
// The fresh one-time pad makes every hand-out different (BREACH), the MAC
// binds the token to the secret cookie and the session, and the version byte
// lets the format evolve.
const (
	secretLen    = 32
	tokenVersion = 1
	issuedLen    = 7
	headerLen    = 1 + issuedLen
	macLen       = sha256.Size
	rawTokenLen  = headerLen + 2*macLen
	tokenLen     = rawTokenLen / 3 * 4 // 72 is a multiple of 3: no padding
	minKeyLen    = 32
	clockSkew    = time.Minute
)

// keyRing holds the signing key first and verification keys after it. Each
// key keeps a pool of HMAC states so minting and checking allocate nothing.
type keyRing []*macKey

type macKey struct{ pool sync.Pool }

type macState struct {
	h   hash.Hash
	buf []byte
}

func newKeyRing(keys [][]byte) keyRing {
	ring := make(keyRing, len(keys))
	for i, k := range keys {
		k := append([]byte(nil), k...)
		ring[i] = &macKey{pool: sync.Pool{New: func() any {
			return &macState{h: hmac.New(sha256.New, k), buf: make([]byte, 0, 128)}
		}}}
	}
	return ring
}

// mac writes HMAC(key, header ‖ secret ‖ sid) into out.
func (k *macKey) mac(out *[macLen]byte, header []byte, secret *[secretLen]byte, sid string) {
	s := k.pool.Get().(*macState)
	s.h.Reset()
	s.buf = append(append(append(s.buf[:0], header...), secret[:]...), sid...)
	s.h.Write(s.buf)
	s.h.Sum(s.buf[:0])
	copy(out[:], s.buf)
	if cap(s.buf) > 4096 {
		s.buf = make([]byte, 0, 128) // a huge session id must not pin memory
	}
	k.pool.Put(s)
}

// mint returns a fresh masked token for secret and sid, signed with the
// first key. Cost: one HMAC-SHA256, a 32-byte pad, one encode.
func (ring keyRing) mint(secret *[secretLen]byte, sid string, now time.Time) string {
	var raw [rawTokenLen]byte
	raw[0] = tokenVersion
	putIssued(raw[1:headerLen], now)
	pad := raw[headerLen : headerLen+macLen]
	readPad(pad)
	var m [macLen]byte
	ring[0].mac(&m, raw[:headerLen], secret, sid)
	subtle.XORBytes(raw[headerLen+macLen:], pad, m[:])
	var out [tokenLen]byte
	encodeToken(&out, &raw)
	return string(out[:])
}

// tokenText is a token as it arrives: a header value, or a form value still
// inside the request's body buffer (no copy).
type tokenText interface{ ~string | ~[]byte }

// verify checks a token against secret and sid with every key, in constant
// time per key. It returns the token's issue time when it verifies. Cost: one
// HMAC-SHA256 per key in the ring; no allocation.
func (ring keyRing) verify(tok string, secret *[secretLen]byte, sid string) (time.Time, error) {
	return verifyToken(ring, tok, secret, sid)
}

func verifyToken[T tokenText](ring keyRing, tok T, secret *[secretLen]byte, sid string) (time.Time, error) {
	var raw [rawTokenLen]byte
	if len(tok) != tokenLen || !decodeToken(&raw, tok) || raw[0] != tokenVersion {
		return time.Time{}, ErrTokenInvalid
	}
	var sent, want [macLen]byte
	subtle.XORBytes(sent[:], raw[headerLen:headerLen+macLen], raw[headerLen+macLen:])
	ok := 0
	for _, k := range ring {
		k.mac(&want, raw[:headerLen], secret, sid)
		ok |= subtle.ConstantTimeCompare(sent[:], want[:])
	}
	if ok != 1 {
		return time.Time{}, ErrTokenInvalid
	}
	return getIssued(raw[1:headerLen]), nil
}

// checkAge applies Config.TokenTTL to a verified token's issue time. Without
// a TTL the issue time is informational and every age passes: refusing a
// token minted by a replica whose clock runs ahead would refuse a legitimate
// request. With one, a token dated more than clockSkew in the future is
// refused too, since it would otherwise outlive the TTL.
func checkAge(issued, now time.Time, ttl time.Duration) error {
	switch {
	case ttl <= 0:
		return nil
	case issued.After(now.Add(clockSkew)):
		return ErrTokenInvalid // minted in the future: not by a sane clock
	case now.Sub(issued) > ttl:
		return ErrTokenExpired
	}
	return nil
}

func putIssued(b []byte, t time.Time) {
	var full [8]byte
	binary.BigEndian.PutUint64(full[:], uint64(t.Unix()))
	copy(b, full[8-issuedLen:])
}

func getIssued(b []byte) time.Time {
	var full [8]byte
	copy(full[8-issuedLen:], b)
	return time.Unix(int64(binary.BigEndian.Uint64(full[:])), 0)
}

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

var b64dec = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for i := 0; i < len(b64); i++ {
		t[b64[i]] = byte(i)
	}
	return t
}()

// encodeToken is base64url without padding, specialised to the token size so
// it needs no allocation.
func encodeToken(dst *[tokenLen]byte, src *[rawTokenLen]byte) {
	for i, j := 0, 0; i < rawTokenLen; i, j = i+3, j+4 {
		v := uint(src[i])<<16 | uint(src[i+1])<<8 | uint(src[i+2])
		dst[j], dst[j+1], dst[j+2], dst[j+3] = b64[v>>18&63], b64[v>>12&63], b64[v>>6&63], b64[v&63]
	}
}

// decodeToken reverses encodeToken; any byte outside the base64url alphabet
// (including '=' padding and the standard alphabet's '+' and '/') fails.
func decodeToken[T tokenText](dst *[rawTokenLen]byte, s T) bool {
	return len(s) == tokenLen && decodeGroups(dst[:], s) == 0
}

// decodeGroups decodes each whole group of 4 base64url characters of s into
// 3 bytes of dst, and returns the OR of the high bits of every sextet: 0
// when every character was in the alphabet.
func decodeGroups[T tokenText](dst []byte, s T) (bad byte) {
	for len(s) >= 4 && len(dst) >= 3 {
		a, b, c, d := b64dec[s[0]], b64dec[s[1]], b64dec[s[2]], b64dec[s[3]]
		bad |= a | b | c | d
		v := uint(a)<<18 | uint(b)<<12 | uint(c)<<6 | uint(d)
		dst[0], dst[1], dst[2] = byte(v>>16), byte(v>>8), byte(v)
		s, dst = s[4:], dst[3:]
	}
	return bad & 0xc0
}

// secretTextLen is the length of the secret in its cookie: 32 bytes as
// unpadded base64url.
const secretTextLen = 43

// encodeSecret and decodeSecret carry the 32-byte secret in its cookie as
// 43 base64url characters.
func encodeSecret(dst *[secretTextLen]byte, s *[secretLen]byte) {
	var buf [secretLen + 1]byte
	copy(buf[:], s[:])
	var out [44]byte
	for i, j := 0, 0; i < len(buf); i, j = i+3, j+4 {
		v := uint(buf[i])<<16 | uint(buf[i+1])<<8 | uint(buf[i+2])
		out[j], out[j+1], out[j+2], out[j+3] = b64[v>>18&63], b64[v>>12&63], b64[v>>6&63], b64[v&63]
	}
	copy(dst[:], out[:secretTextLen])
}

func decodeSecret(dst *[secretLen]byte, s string) bool {
	if len(s) != secretTextLen {
		return false
	}
	// 40 characters are 30 bytes; the last 3 carry 18 bits, 16 of them data.
	bad := decodeGroups(dst[:30], s[:40])
	a, b, c := b64dec[s[40]], b64dec[s[41]], b64dec[s[42]]
	v := uint(a)<<12 | uint(b)<<6 | uint(c)
	dst[30], dst[31] = byte(v>>10), byte(v>>2)
	// The 2 spare bits must be zero, so each secret has exactly one encoding.
	return bad|(a|b|c)&0xc0 == 0 && v&3 == 0
}

// newSecret draws a secret from crypto/rand, which never fails (Go 1.24+).
func newSecret(s *[secretLen]byte) { rand.Read(s[:]) }

// pads hands out one-time pads. A pad is not secret — it travels in the
// token next to pad ⊕ MAC — it only has to be unpredictable, so that a
// compression oracle cannot line its guesses up with a future token
// (BREACH). math/rand/v2's ChaCha8 is a cryptographically strong generator
// with fast key erasure; each pooled instance is seeded from crypto/rand.
// It costs a sixth of a crypto/rand read (no system call or vDSO state per
// call). Secrets and keys always come from crypto/rand.
var pads = sync.Pool{New: func() any {
	var seed [32]byte
	rand.Read(seed[:])
	return mrand.NewChaCha8(seed)
}}

func readPad(p []byte) {
	c := pads.Get().(*mrand.ChaCha8)
	c.Read(p)
	pads.Put(c)
}

func newSecretBytes(b []byte) { rand.Read(b) }
