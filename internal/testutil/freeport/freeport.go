// Package freeport finds a free TCP port on loopback, for the test rig and
// the benchmark driver, which start servers of their own there.
package freeport

import "net"

// Loopback returns a port on 127.0.0.1 that was free a moment ago. Another
// process may take it before the caller binds it; callers that can, retry.
func Loopback() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
