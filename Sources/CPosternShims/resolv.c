#include "postern_resolv.h"
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <string.h>

int postern_mx_lookup(const char *domain, postern_mx_record *out, int max) {
    unsigned char answer[8192];
    int length = res_query(domain, ns_c_in, ns_t_mx, answer, sizeof answer);
    if (length < 0) {
        switch (h_errno) {
        case HOST_NOT_FOUND: return -2;
        case NO_DATA: return 0;
        default: return -1;
        }
    }
    ns_msg message;
    if (ns_initparse(answer, length, &message) < 0) return -1;
    int count = 0;
    int records = ns_msg_count(message, ns_s_an);
    for (int i = 0; i < records && count < max; i++) {
        ns_rr rr;
        if (ns_parserr(&message, ns_s_an, i, &rr) < 0) return -1;
        if (ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3) continue;
        const unsigned char *rdata = ns_rr_rdata(rr);
        out[count].preference = ns_get16(rdata);
        if (dn_expand(ns_msg_base(message), ns_msg_end(message), rdata + 2, out[count].host,
                      sizeof out[count].host) < 0) {
            return -1;
        }
        count++;
    }
    return count;
}
