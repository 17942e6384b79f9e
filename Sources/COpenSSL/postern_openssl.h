#ifndef POSTERN_OPENSSL_H
#define POSTERN_OPENSSL_H
// Each wrapper exists because the name is a macro (or a macro-built constant) in OpenSSL 3.0,
// which Swift cannot call or import. See shared swift-notes §1.
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/pem.h>
#include <openssl/evp.h>

static const uint64_t postern_SSL_OP_NO_RENEGOTIATION = SSL_OP_NO_RENEGOTIATION;
static const uint64_t postern_SSL_OP_CIPHER_SERVER_PREFERENCE = SSL_OP_CIPHER_SERVER_PREFERENCE;
static const uint64_t postern_SSL_OP_NO_COMPRESSION = SSL_OP_NO_COMPRESSION;
static const uint64_t postern_SSL_OP_NO_SSLv3 = SSL_OP_NO_SSLv3;
static const uint64_t postern_SSL_OP_NO_TLSv1 = SSL_OP_NO_TLSv1;
static const uint64_t postern_SSL_OP_NO_TLSv1_1 = SSL_OP_NO_TLSv1_1;
static const uint64_t postern_SSL_OP_NO_TLSv1_2 = SSL_OP_NO_TLSv1_2;
static const uint64_t postern_SSL_OP_NO_TLSv1_3 = SSL_OP_NO_TLSv1_3;
static const uint64_t postern_SSL_OP_IGNORE_UNEXPECTED_EOF = SSL_OP_IGNORE_UNEXPECTED_EOF;

static inline int postern_SSL_CTX_set_min_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_min_proto_version(ctx, v); }
static inline int postern_SSL_CTX_set_max_proto_version(SSL_CTX *ctx, int v) { return (int)SSL_CTX_set_max_proto_version(ctx, v); }
static inline long postern_SSL_CTX_set_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_mode(ctx, mode); }
static inline long postern_SSL_CTX_set_dh_auto(SSL_CTX *ctx, int on) { return SSL_CTX_set_dh_auto(ctx, on); }
static inline long postern_SSL_CTX_set_session_cache_mode(SSL_CTX *ctx, long mode) { return SSL_CTX_set_session_cache_mode(ctx, mode); }
static inline int postern_SSL_set_tlsext_host_name(SSL *ssl, const char *name) { return (int)SSL_set_tlsext_host_name(ssl, name); }
static inline long postern_BIO_set_mem_eof_return(BIO *bio, int v) { return BIO_set_mem_eof_return(bio, v); }

static inline int postern_sk_SSL_CIPHER_num(const STACK_OF(SSL_CIPHER) *sk) { return sk_SSL_CIPHER_num(sk); }
static inline const SSL_CIPHER *postern_sk_SSL_CIPHER_value(const STACK_OF(SSL_CIPHER) *sk, int i) { return sk_SSL_CIPHER_value(sk, i); }
static inline void postern_sk_SSL_CIPHER_free(STACK_OF(SSL_CIPHER) *sk) { sk_SSL_CIPHER_free(sk); }
static inline int postern_sk_X509_num(const STACK_OF(X509) *sk) { return sk_X509_num(sk); }
static inline X509 *postern_sk_X509_value(const STACK_OF(X509) *sk, int i) { return sk_X509_value(sk, i); }
static inline void postern_sk_X509_pop_free(STACK_OF(X509) *sk) { sk_X509_pop_free(sk, X509_free); }
static inline STACK_OF(X509) *postern_sk_X509_new_null(void) { return sk_X509_new_null(); }
static inline int postern_sk_X509_push(STACK_OF(X509) *sk, X509 *x) { return sk_X509_push(sk, x); }
static inline int postern_sk_GENERAL_NAME_num(const STACK_OF(GENERAL_NAME) *sk) { return sk_GENERAL_NAME_num(sk); }
static inline GENERAL_NAME *postern_sk_GENERAL_NAME_value(const STACK_OF(GENERAL_NAME) *sk, int i) { return sk_GENERAL_NAME_value(sk, i); }
static inline void postern_GENERAL_NAMES_free(STACK_OF(GENERAL_NAME) *sk) { GENERAL_NAMES_free(sk); }

static inline long postern_SSL_CTX_add1_chain_cert(SSL_CTX *ctx, X509 *x) { return SSL_CTX_add1_chain_cert(ctx, x); }
static inline int postern_SSL_get_negotiated_group(SSL *ssl) { return (int)SSL_get_negotiated_group(ssl); }
static const unsigned long postern_XN_FLAG_RFC2253 = XN_FLAG_RFC2253;
static const int postern_MBSTRING_ASC = MBSTRING_ASC;
static const int postern_MBSTRING_UTF8 = MBSTRING_UTF8;
static const int postern_EVP_PKEY_RSA = EVP_PKEY_RSA;
static const int postern_EVP_PKEY_EC = EVP_PKEY_EC;
static const long postern_SSL_MODE_RELEASE_BUFFERS = SSL_MODE_RELEASE_BUFFERS;
static const long postern_SSL_MODE_NO_AUTO_CHAIN = SSL_MODE_NO_AUTO_CHAIN;
static const long postern_SSL_SESS_CACHE_SERVER = SSL_SESS_CACHE_SERVER;
static const long postern_SSL_SESS_CACHE_OFF = SSL_SESS_CACHE_OFF;
static const uint64_t postern_SSL_OP_NO_TICKET = SSL_OP_NO_TICKET;

static inline void postern_OPENSSL_free(void *p) { OPENSSL_free(p); }
static inline void postern_X509V3_set_ctx_nodb(X509V3_CTX *ctx) { X509V3_set_ctx_nodb(ctx); }

/// A GENERAL_NAME's dNSName as a C string, or NULL when it is another kind of name.
static inline const char *postern_GENERAL_NAME_dns(const GENERAL_NAME *name) {
    if (name->type != GEN_DNS) return NULL;
    return (const char *)ASN1_STRING_get0_data(name->d.dNSName);
}
#endif
