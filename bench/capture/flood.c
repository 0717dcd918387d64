/* flood.c: the load generator of bench/capture (scripts/bench-capture.sh). Sends COUNT small
 * Ethernet/IPv4/UDP frames (60 bytes, the Ethernet minimum without FCS) out of IFACE at RATE
 * frames per second through an AF_PACKET socket with sendmmsg, then prints one JSON line:
 * {"sent": N, "seconds": S, "rate": R, "errors": E}.
 *
 *   flood IFACE SRC_MAC DST_MAC SRC_IP DST_IP RATE COUNT RUN_ID
 *
 * Every frame is a UDP datagram from SRC_IP:40000 to DST_IP:9 (discard) whose 18-byte payload
 * is the marker "WFLD", RUN_ID (4 bytes) and the frame's sequence number (8 bytes, big-endian),
 * so that a capture file can be checked frame by frame against what was sent. The IPv4
 * checksum is computed once (only the payload changes); the UDP checksum is 0 (none, allowed
 * over IPv4).
 *
 * Pacing: frames leave in batches of up to 64 (fewer at low rates: a batch is at most ~1/4000
 * s of frames) on a fixed schedule, frame i due at start + i / RATE; between batches the
 * program sleeps to the next batch's due time (timer slack 1 ns), and when it falls behind it
 * sends at once without sleeping, so the mean rate is RATE whenever one core can reach it.
 * The socket bypasses the qdisc (PACKET_QDISC_BYPASS: veth has none anyway) and a full
 * device queue (ENOBUFS) is retried. The program stops by itself: after COUNT frames, or at
 * 2 * COUNT / RATE + 5 seconds whatever it sent.
 *
 * Built by bench/capture/bench_capture.py with `cc -O2`; needs CAP_NET_RAW (root). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_LEN 60
#define MAX_BATCH 64

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t) {
    struct timespec ts;
    ts.tv_sec = (time_t)t;
    ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR) {
    }
}

static int parse_mac(const char* text, uint8_t mac[6]) {
    unsigned v[6];
    if (sscanf(text, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return -1;
    for (int i = 0; i < 6; ++i) mac[i] = (uint8_t)v[i];
    return 0;
}

static uint16_t ip_checksum(const uint8_t* p, size_t n) {
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < n; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

int main(int argc, char** argv) {
    if (argc != 9) {
        fprintf(stderr, "usage: flood IFACE SRC_MAC DST_MAC SRC_IP DST_IP RATE COUNT RUN_ID\n");
        return 2;
    }
    uint8_t src_mac[6], dst_mac[6];
    struct in_addr src_ip, dst_ip;
    const double rate = atof(argv[6]);
    const long long count = atoll(argv[7]);
    const uint32_t run_id = (uint32_t)strtoul(argv[8], NULL, 0);
    if (parse_mac(argv[2], src_mac) || parse_mac(argv[3], dst_mac) || inet_pton(AF_INET, argv[4], &src_ip) != 1 ||
        inet_pton(AF_INET, argv[5], &dst_ip) != 1 || rate <= 0 || count <= 0) {
        fprintf(stderr, "flood: bad arguments\n");
        return 2;
    }
    const unsigned ifindex = if_nametoindex(argv[1]);
    if (ifindex == 0) {
        fprintf(stderr, "flood: no interface %s\n", argv[1]);
        return 1;
    }
    /* Protocol 0: this socket receives nothing, it only sends. */
    const int fd = socket(AF_PACKET, SOCK_RAW, 0);
    if (fd < 0) {
        perror("flood: socket(AF_PACKET)");
        return 1;
    }
    struct sockaddr_ll addr = {.sll_family = AF_PACKET, .sll_ifindex = (int)ifindex, .sll_halen = 6};
    memcpy(addr.sll_addr, dst_mac, 6);
    if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
        perror("flood: bind");
        return 1;
    }
    const int one = 1, sndbuf = 4 << 20;
    (void)setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    (void)prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);

    /* The template: Ethernet, IPv4 (no options, DF clear, TTL 64), UDP, 18 bytes of payload. */
    static uint8_t frames[MAX_BATCH][FRAME_LEN];
    uint8_t t[FRAME_LEN] = {0};
    memcpy(t, dst_mac, 6);
    memcpy(t + 6, src_mac, 6);
    t[12] = 0x08, t[13] = 0x00;
    uint8_t* ip = t + 14;
    ip[0] = 0x45, ip[1] = 0;
    ip[2] = 0, ip[3] = 46;  /* 20 + 8 + 18 */
    ip[4] = 0x57, ip[5] = 0x46; /* id */
    ip[8] = 64, ip[9] = 17;
    memcpy(ip + 12, &src_ip, 4);
    memcpy(ip + 16, &dst_ip, 4);
    const uint16_t sum = ip_checksum(ip, 20);
    ip[10] = (uint8_t)(sum >> 8), ip[11] = (uint8_t)sum;
    uint8_t* udp = ip + 20;
    udp[0] = 40000 >> 8, udp[1] = 40000 & 0xff;
    udp[2] = 0, udp[3] = 9;
    udp[4] = 0, udp[5] = 26; /* 8 + 18 */
    uint8_t* payload = udp + 8;
    memcpy(payload, "WFLD", 4);
    payload[4] = (uint8_t)(run_id >> 24), payload[5] = (uint8_t)(run_id >> 16);
    payload[6] = (uint8_t)(run_id >> 8), payload[7] = (uint8_t)run_id;
    for (int i = 0; i < MAX_BATCH; ++i) memcpy(frames[i], t, FRAME_LEN);

    struct iovec iov[MAX_BATCH];
    struct mmsghdr msgs[MAX_BATCH];
    memset(msgs, 0, sizeof msgs);
    for (int i = 0; i < MAX_BATCH; ++i) {
        iov[i].iov_base = frames[i];
        iov[i].iov_len = FRAME_LEN;
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
    }

    long long batch = (long long)(rate / 4000.0);
    if (batch < 1) batch = 1;
    if (batch > MAX_BATCH) batch = MAX_BATCH;
    const double start = now_s();
    const double give_up = start + 2.0 * (double)count / rate + 5.0;
    long long sent = 0, errors = 0;
    while (sent < count) {
        const double due = start + (double)sent / rate;
        double now = now_s();
        if (now > give_up) break;
        if (due > now) sleep_until(due);
        int n = (int)(count - sent < batch ? count - sent : batch);
        for (int i = 0; i < n; ++i) {
            const uint64_t seq = (uint64_t)(sent + i);
            uint8_t* s = frames[i] + 14 + 20 + 8 + 8;
            for (int b = 0; b < 8; ++b) s[b] = (uint8_t)(seq >> (56 - 8 * b));
        }
        int done = 0;
        while (done < n) {
            const int r = sendmmsg(fd, msgs + done, (unsigned)(n - done), 0);
            if (r < 0) {
                if (errno == EINTR) continue;
                if (errno == ENOBUFS || errno == EAGAIN) {
                    ++errors;
                    continue;
                }
                perror("flood: sendmmsg");
                return 1;
            }
            done += r;
        }
        sent += n;
    }
    const double seconds = now_s() - start;
    printf("{\"sent\": %lld, \"seconds\": %.6f, \"rate\": %.1f, \"errors\": %lld}\n", sent, seconds,
           seconds > 0 ? (double)sent / seconds : 0.0, errors);
    close(fd);
    return sent == count ? 0 : 3;
}
