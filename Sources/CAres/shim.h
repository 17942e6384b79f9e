// c-ares, the asynchronous DNS resolver (Debian libc-ares-dev). Module map only: every name
// the resolver uses imports as it is.
#include <ares.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
