package main

import (
	"bufio"
	"bytes"
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
// the store (one agent per 40 bytes of file), every other queue's members
// on chan_sip (a notice each, counted on one line). "new" imports it into
// a new database, "again" into one that holds it already (every agent
// looked up by device, all unchanged). Each reports its peak Go heap and
// anonymous RSS (the process's own memory, without the pages of the
// database and scratch files it maps); rss-bytes/file-byte is the
// process's peak resident set with those pages.
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
	imported := filepath.Join(dir, "imported.db")
	var report summaryLines
	if err := runImport(context.Background(), []string{"--db", imported, conf}, io.Discard, io.Discard); err != nil {
		b.Fatal(err)
	}
	for _, run := range []struct {
		name string
		db   func(i int) string
	}{
		{"new", func(i int) string { return filepath.Join(dir, fmt.Sprintf("new-%d.db", i)) }},
		{"again", func(int) string { return imported }},
	} {
		b.Run(run.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				report.Reset()
				heap, anon := measurePeaks(func() {
					err = runImport(context.Background(), []string{"--db", run.db(i), conf}, &report, io.Discard)
				})
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(heap)/float64(mb<<20), "heap-bytes/file-byte")
				b.ReportMetric(float64(heap)/(1<<20), "peak-heap-MiB")
				b.ReportMetric(float64(anon)/(1<<20), "peak-anon-rss-MiB")
			}
			b.StopTimer()
			for _, l := range report.kept {
				b.Log(l)
			}
			b.ReportMetric(float64(agents), "agents")
			b.ReportMetric(float64(report.lines), "report-lines")
		})
	}
	if hwm, ok := procStatus("VmHWM"); ok {
		b.Logf("peak resident set with mapped files: %.1f bytes per file byte", float64(hwm)/float64(mb<<20))
	}
}

// summaryLines counts a report's lines and keeps its summary and chan_sip
// lines only: a benchmark holding the whole report would measure it.
type summaryLines struct {
	lines   int
	partial []byte
	kept    []string
}

func (s *summaryLines) Reset() { *s = summaryLines{} }

func (s *summaryLines) Write(p []byte) (int, error) {
	rest := append(s.partial, p...)
	for {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		l := string(rest[:i])
		rest = rest[i+1:]
		s.lines++
		if strings.HasPrefix(l, "queues: ") || strings.Contains(l, "chan_sip") {
			s.kept = append(s.kept, l)
		}
	}
	s.partial = append(s.partial[:0], rest...)
	return len(p), nil
}

// measurePeaks runs fn and samples the Go heap in use and the anonymous
// RSS every 10 ms meanwhile, returning their peaks.
func measurePeaks(fn func()) (heap, anon uint64) {
	var peakHeap, peakAnon atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peakHeap.Load() {
				peakHeap.Store(ms.HeapInuse)
			}
			if a, ok := procStatus("RssAnon"); ok && uint64(a) > peakAnon.Load() {
				peakAnon.Store(uint64(a))
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()
	fn()
	close(stop)
	<-sampled
	return peakHeap.Load(), peakAnon.Load()
}

// writeLargeQueuesConf writes queues of 200 distinct members until size,
// every other queue's on chan_sip.
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
			tech := "PJSIP"
			if q%2 == 0 {
				tech = "SIP"
			}
			k, _ := fmt.Fprintf(w, "member => %s/%d,%d,Agent %d\n", tech, q*1000+m, m%5, q*1000+m)
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
