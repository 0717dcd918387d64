# The seed's UDP client, fixed: host and port from the command line, input from stdin, a
# timeout so a lost datagram cannot hang it. Usage: udp_client.py HOST PORT < lines
import socket
import sys

host, port = sys.argv[1], int(sys.argv[2])
udp_client = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_DGRAM)
udp_client.settimeout(5)
for line in sys.stdin:
    msg = line.strip()
    udp_client.sendto(msg.encode("utf-8"), (host, port))
    conn, addr = udp_client.recvfrom(1024)
    print(conn.decode("utf-8"))
