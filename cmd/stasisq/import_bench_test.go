package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkImportLargeFile imports a generated queues.conf of
// $STASISQ_IMPORT_MB megabytes (default 50): queues of 200 member lines,
// every member a different phone, so the file is as heavy as it can be on
// the store (one agent per 40 bytes of file). It reports the peak Go heap
// and the process's peak RSS per megabyte of file, and the agents written.
//
//	go test ./cmd/stasisq -run '^$' -bench ImportLargeFile -benchtime 1x
func BenchmarkImportLargeFile(b *testing.B) {
	mb := 50
	if v, err := strconv.Atoi(os.Getenv("STASISQ_IMPORT_MB")); err == nil && v > 0 {
		mb = v
	}
	dir := b.TempDir()
	conf := filepath.Join(dir, "queues.conf")
	agents, err := writeLargeQueuesConf(conf, mb<<20)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var peak, peakAnon atomic.Uint64
		stop := make(chan struct{})
		sampled := make(chan struct{})
		go func() {
			defer close(sampled)
			var ms runtime.MemStats
			for {
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
				if anon, ok := procStatus("RssAnon"); ok && uint64(anon) > peakAnon.Load() {
					peakAnon.Store(uint64(anon))
				}
				select {
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}()
		db := filepath.Join(dir, fmt.Sprintf("stasisq-%d.db", i))
		err := runImport(context.Background(), []string{"--db", db, conf}, io.Discard, io.Discard)
		close(stop)
		<-sampled
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(peak.Load())/float64(mb<<20), "heap-bytes/file-byte")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(peakAnon.Load())/(1<<20), "peak-anon-rss-MiB")
	}
	b.StopTimer()
	b.ReportMetric(float64(agents), "agents")
	if hwm, ok := procStatus("VmHWM"); ok {
		b.ReportMetric(float64(hwm)/float64(mb<<20), "rss-bytes/file-byte")
	}
}

// writeLargeQueuesConf writes queues of 200 distinct members until size.
func writeLargeQueuesConf(path string, size int) (agents int, err error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriter(f)
	n := 0
	for q := 1; n < size; q++ {
		k, _ := fmt.Fprintf(w, "[queue%d]\nstrategy=rrmemory\ntimeout=15\nwrapuptime=10\n", q)
		n += k
		for m := 0; m < 200; m++ {
			k, _ := fmt.Fprintf(w, "member => PJSIP/%d,%d,Agent %d\n", q*1000+m, m%5, q*1000+m)
			n += k
			agents++
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	return agents, f.Close()
}

// procStatus is a "kB" line of /proc/self/status, in bytes: VmHWM is the
// peak resident set with the pages of files the process maps (bbolt's
// database and scratch files, which the kernel can drop and read again),
// RssAnon the process's own memory now.
func procStatus(field string) (int64, bool) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	var kb int64
	for _, l := range strings.Split(string(raw), "\n") {
		if _, err := fmt.Sscanf(l, field+": %d kB", &kb); err == nil {
			return kb << 10, true
		}
	}
	return 0, false
}
