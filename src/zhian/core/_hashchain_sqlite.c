/*
 * SQLite's side of zhian.core.hashchain: the two checks a verification makes of every stored
 * entry, made where the database reads the row, so that verifying a million ledger entries
 * need not hand each one's bytes to Python (zhian.core.db loads this into every SQLite
 * connection, and holds each function against Python's own once per process before anything
 * relies on them). Each check gives 1 or 0 whatever its arguments are: never NULL, never an
 * error. Two more write a stored value as the encoding writes it: an instant, a quantity
 * (below).
 *
 * Text is read as the bytes the database holds, which are UTF-8 in every database this
 * project makes (SQLite's default; asking for them as UTF-8 would copy each value to end it
 * with a NUL). In a UTF-16 database nothing compares equal and Python decides.
 *
 * zhian_entry_hash_ok(prev_hash, canonical, hash): 1 if prev_hash and hash are TEXT of 64
 * lowercase hex digits, canonical TEXT or a BLOB, and hash is
 * SHA-256(DOMAIN || prev_hash || canonical): hashchain.entry_hash_encoded, compared with a
 * stored hash.
 *
 * zhian_canonical_is(canonical, key, value, key, value, ...): 1 if canonical is TEXT whose
 * bytes are exactly what hashchain.canonical writes for the object of those keys (TEXT, given
 * in the canonical order: sorted) and values: a TEXT value as a JSON string escaped as
 * Python's json module escapes it with ensure_ascii off, an INTEGER as its digits, NULL as
 * null, and a value a JSON function returned (SQLite's JSON subtype) as the JSON it is. A
 * REAL or a BLOB value is never equal: the row goes to Python, which decides. It is what
 * json_object(...) = canonical says, with no text built, no BLOB read as JSONB (SQLite 3.45
 * on writes a JSONB BLOB as the JSON it holds) and no collation to ask.
 *
 * A loadable extension rather than a CPython module: the functions must run inside SQLite's
 * own statements, on the connections the bundled SQLite opened. SHA-256 is OpenSSL's, the
 * library Python's hashlib uses, which takes the CPU's SHA instructions where it has them.
 */
#include <sqlite3ext.h>
SQLITE_EXTENSION_INIT1

#include <math.h>
#include <openssl/evp.h>
#include <string.h>

/* hashchain.DOMAIN, its closing NUL included: b"zhian.hashchain.v1\x00" (19 bytes). */
static const unsigned char DOMAIN[] = "zhian.hashchain.v1";
static const char HEX[] = "0123456789abcdef";

/* One per connection: the digest fetched once and a context reused call after call (a
 * connection runs one statement step at a time, so no two calls share it at once). */
typedef struct {
  EVP_MD *md;
  EVP_MD_CTX *ctx;
} Hasher;

static void hasher_free(void *p) {
  Hasher *h = p;
  if (h == NULL) return;
  EVP_MD_CTX_free(h->ctx);
  EVP_MD_free(h->md);
  sqlite3_free(h);
}

/* The bytes a TEXT (or, with ``blob``, a BLOB) value holds and their number, or NULL. The
 * type is read first, and then the bytes as stored: nothing is converted or copied, so every
 * pointer holds till the function returns. */
static const unsigned char *bytes_of(sqlite3_value *v, int blob, int *n) {
  int type = sqlite3_value_type(v);
  if (type != SQLITE_TEXT && !(blob && type == SQLITE_BLOB)) return NULL;
  const unsigned char *bytes = sqlite3_value_blob(v);
  *n = sqlite3_value_bytes(v);
  if (*n < 0 || (bytes == NULL && *n > 0)) return NULL;
  return bytes != NULL ? bytes : (const unsigned char *)"";
}

/* A TEXT value of 64 bytes, or NULL; with ``digits``, only if they are lowercase hex digits
 * (checked with no branch a byte: a byte at a time, the check cost a third of the hashing). */
static const unsigned char *hash_text(sqlite3_value *v, int digits) {
  int n;
  int bad = 0;
  const unsigned char *text = bytes_of(v, 0, &n);
  if (text == NULL || n != 64) return NULL;
  for (int i = 0; digits && i < 64; i++) {
    bad |= ((unsigned char)(text[i] - '0') > 9) & ((unsigned char)(text[i] - 'a') > 5);
  }
  return bad ? NULL : text;
}

static void entry_hash_ok(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Hasher *h = sqlite3_user_data(ctx);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  int n;
  (void)argc;
  const unsigned char *data = bytes_of(argv[1], 1, &n);
  /* The stored hash is held to the digest's own digits below: its length is checked here. */
  const unsigned char *prev = hash_text(argv[0], 1);
  const unsigned char *stored = hash_text(argv[2], 0);
  if (data == NULL || prev == NULL || stored == NULL ||
      EVP_DigestInit_ex(h->ctx, h->md, NULL) != 1 ||
      EVP_DigestUpdate(h->ctx, DOMAIN, sizeof DOMAIN) != 1 ||
      EVP_DigestUpdate(h->ctx, prev, 64) != 1 ||
      EVP_DigestUpdate(h->ctx, data, (size_t)n) != 1 ||
      EVP_DigestFinal_ex(h->ctx, md, &len) != 1 || len != 32) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  for (unsigned int i = 0; i < len; i++) {
    if (stored[2 * i] != HEX[md[i] >> 4] || stored[2 * i + 1] != HEX[md[i] & 15]) {
      sqlite3_result_int(ctx, 0);
      return;
    }
  }
  sqlite3_result_int(ctx, 1);
}

/* Where canonical's bytes have been matched up to. */
typedef struct {
  const unsigned char *at;
  const unsigned char *end;
} Expected;

static int expect(Expected *e, const void *bytes, size_t n) {
  if ((size_t)(e->end - e->at) < n || memcmp(e->at, bytes, n) != 0) return 0;
  e->at += n;
  return 1;
}

/* A JSON string as Python's json module writes it with ensure_ascii off: '"' and '\\'
 * escaped, \b \f \n \r \t by name, any other byte below 0x20 as \u00xx, every other byte
 * (UTF-8 beyond ASCII included) as it is. */
static int expect_string(Expected *e, const unsigned char *s, int n) {
  const unsigned char *at = e->at, *end = e->end;
  if (at == end || *at++ != '"') return 0;
  for (int i = 0; i < n; i++) {
    /* A run of bytes written as they are, matched at once. */
    int j = i;
    while (j < n && s[j] >= 0x20 && s[j] != '"' && s[j] != '\\') j++;
    if ((size_t)(end - at) < (size_t)(j - i) || memcmp(at, s + i, (size_t)(j - i)) != 0) return 0;
    at += j - i;
    if (j == n) break;
    unsigned char ch = s[j];
    char esc[6] = {'\\', 0, '0', '0', 0, 0};
    size_t len = 2;
    switch (ch) {
      case '"': esc[1] = '"'; break;
      case '\\': esc[1] = '\\'; break;
      case '\b': esc[1] = 'b'; break;
      case '\f': esc[1] = 'f'; break;
      case '\n': esc[1] = 'n'; break;
      case '\r': esc[1] = 'r'; break;
      case '\t': esc[1] = 't'; break;
      default:
        esc[1] = 'u';
        esc[4] = HEX[ch >> 4];
        esc[5] = HEX[ch & 15];
        len = 6;
    }
    if ((size_t)(end - at) < len || memcmp(at, esc, len) != 0) return 0;
    at += len;
    i = j;
  }
  if (at == end || *at++ != '"') return 0;
  e->at = at;
  return 1;
}

/* An integer's decimal digits as Python's str(int) writes them, with a point put ``places``
 * digits from the right (none if 0), written backwards from ``end``; returns the start. */
static char *write_digits(char *end, sqlite3_int64 value, int places) {
  char *p = end;
  sqlite3_uint64 u = value < 0 ? (sqlite3_uint64)0 - (sqlite3_uint64)value : (sqlite3_uint64)value;
  for (int i = 0; i < places; i++) {
    *--p = (char)('0' + u % 10);
    u /= 10;
  }
  if (places > 0) *--p = '.';
  do {
    *--p = (char)('0' + u % 10);
    u /= 10;
  } while (u != 0);
  if (value < 0) *--p = '-';
  return p;
}

static int expect_integer(Expected *e, sqlite3_int64 value) {
  char digits[24];
  char *p = write_digits(digits + sizeof digits, value, 0);
  return expect(e, p, (size_t)(digits + sizeof digits - p));
}

/* JSON's subtype, as SQLite's JSON functions mark what they return ('J'). */
#define JSON_SUBTYPE 74

static int expect_value(Expected *e, sqlite3_value *v) {
  switch (sqlite3_value_type(v)) {
    case SQLITE_NULL:
      return expect(e, "null", 4);
    case SQLITE_INTEGER:
      return expect_integer(e, sqlite3_value_int64(v));
    case SQLITE_TEXT: {
      int n;
      const unsigned char *text = bytes_of(v, 0, &n);
      if (text == NULL) return 0;
      if (sqlite3_value_subtype(v) == JSON_SUBTYPE) return expect(e, text, (size_t)n);
      return expect_string(e, text, n);
    }
    default:
      return 0; /* REAL, BLOB */
  }
}

static void canonical_is(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  Expected e;
  int n;
  if (argc < 1 || argc % 2 != 1 || (e.at = bytes_of(argv[0], 0, &n)) == NULL) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  e.end = e.at + n;
  if (!expect(&e, "{", 1)) {
    sqlite3_result_int(ctx, 0);
    return;
  }
  for (int i = 1; i < argc; i += 2) {
    const unsigned char *key = bytes_of(argv[i], 0, &n);
    if (key == NULL || (i > 1 && !expect(&e, ",", 1)) || !expect_string(&e, key, n) ||
        !expect(&e, ":", 1) || !expect_value(&e, argv[i + 1])) {
      sqlite3_result_int(ctx, 0);
      return;
    }
  }
  sqlite3_result_int(ctx, expect(&e, "}", 1) && e.at == e.end);
}

/* zhian_utc_text(stored): a UTC instant as zhian.core.db's UTCDateTime stores it on SQLite
 * ("YYYY-MM-DD HH:MM:SS.ffffff") written as hashchain.canonical writes a datetime
 * ("YYYY-MM-DDTHH:MM:SS.ffffffZ"); NULL for anything else (no other text is a stored
 * instant, and an instant stored in another form files its entry under another day). */
static void utc_text(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static const char FORM[] = "dddd-dd-dd dd:dd:dd.dddddd";
  unsigned char out[27];
  int n;
  (void)argc;
  const unsigned char *text = bytes_of(argv[0], 0, &n);
  if (text == NULL || n != 26) return;
  for (int i = 0; i < 26; i++) {
    if (FORM[i] == 'd' ? (text[i] < '0' || text[i] > '9') : text[i] != (unsigned char)FORM[i])
      return;
  }
  memcpy(out, text, 26);
  out[10] = 'T';
  out[26] = 'Z';
  sqlite3_result_text(ctx, (const char *)out, 27, SQLITE_TRANSIENT);
}

/* zhian_decimal_text(value, places): a number stored in a NUMERIC column as the application
 * writes a Decimal quantized to ``places`` (0 to 9) decimals, which is what it reads the
 * column as (through a double: SQLAlchemy's Numeric formats what SQLite gives as a float):
 * an INTEGER of at most 2^53 as its digits and that many zeros; a REAL only if it is the
 * double nearest to a number of that many decimals (as the application stores one), as that
 * number (no other REAL is written the same by SQLite's printf, which rounds a half up, and by
 * Python, which rounds it to even; nor is -0.0); NULL for anything else, which Python
 * decides. */
#define EXACT ((sqlite3_int64)1 << 53) /* each integer up to it, no further, is a double */

static void decimal_text(sqlite3_context *ctx, int argc, sqlite3_value **argv) {
  static const double SCALE[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9};
  char out[48];
  char *end = out + sizeof out;
  char *p;
  (void)argc;
  if (sqlite3_value_type(argv[1]) != SQLITE_INTEGER) return;
  sqlite3_int64 places = sqlite3_value_int64(argv[1]);
  if (places < 0 || places > 9) return;
  switch (sqlite3_value_type(argv[0])) {
    case SQLITE_INTEGER: {
      sqlite3_int64 value = sqlite3_value_int64(argv[0]);
      if (value > EXACT || value < -EXACT) return; /* a double would read another number */
      char *point = end - places;
      memset(point, '0', (size_t)places);
      if (places > 0) *--point = '.';
      p = write_digits(point, value, 0);
      break;
    }
    case SQLITE_FLOAT: {
      double value = sqlite3_value_double(argv[0]);
      double scaled = value * SCALE[places];
      /* Exact below 2^53: k / 10^places, divided in IEEE arithmetic, is the double nearest
       * to the decimal k * 10^-places, so the value is that decimal's double or it is not. */
      if (!isfinite(value) || (value == 0 && signbit(value)) || fabs(scaled) >= (double)EXACT)
        return;
      long long k = llround(scaled);
      if ((double)k / SCALE[places] != value) return;
      p = write_digits(end, (sqlite3_int64)k, (int)places);
      break;
    }
    default:
      return;
  }
  sqlite3_result_text(ctx, p, (int)(end - p), SQLITE_TRANSIENT);
}

#ifdef _WIN32
__declspec(dllexport)
#endif
int sqlite3_extension_init(sqlite3 *db, char **err, const sqlite3_api_routines *api) {
  SQLITE_EXTENSION_INIT2(api);
  Hasher *h = sqlite3_malloc(sizeof *h);
  if (h == NULL) return SQLITE_NOMEM;
  h->md = EVP_MD_fetch(NULL, "SHA256", NULL);
  h->ctx = EVP_MD_CTX_new();
  if (h->md == NULL || h->ctx == NULL) {
    hasher_free(h);
    *err = sqlite3_mprintf("zhian_entry_hash_ok: OpenSSL has no SHA-256");
    return SQLITE_ERROR;
  }
  /* Deterministic, but not innocuous: they are zhian's own and have no business in a schema
   * (a view or a trigger that called them would fail on a connection without them). */
  int rc = sqlite3_create_function_v2(db, "zhian_entry_hash_ok", 3,
                                      SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY, h,
                                      entry_hash_ok, NULL, NULL, hasher_free);
  if (rc != SQLITE_OK) return rc;
  /* SQLITE_SUBTYPE: it reads its arguments' subtypes, which SQLite may otherwise drop. */
  int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY | SQLITE_SUBTYPE;
  rc = sqlite3_create_function_v2(db, "zhian_canonical_is", -1, flags, NULL, canonical_is, NULL,
                                  NULL, NULL);
  if (rc != SQLITE_OK) return rc;
  flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_DIRECTONLY;
  rc = sqlite3_create_function_v2(db, "zhian_utc_text", 1, flags, NULL, utc_text, NULL, NULL,
                                  NULL);
  if (rc != SQLITE_OK) return rc;
  /* Last: zhian.core.db.hashchain_in_sqlite takes it being there for all of them being. */
  return sqlite3_create_function_v2(db, "zhian_decimal_text", 2, flags, NULL, decimal_text, NULL,
                                    NULL, NULL);
}
