package recording

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Bucket is an S3-compatible bucket (AWS S3, MinIO, Ceph, R2…) that complete recordings are
// moved to, through minio-go: a maintained client that speaks S3 signature v4 to any of them.
type Bucket struct {
	c      *minio.Client
	name   string
	prefix string
}

// ParseBucket reads a bucket's address:
//
//	s3://ACCESS_KEY:SECRET_KEY@host[:port]/bucket[/prefix][?region=…&insecure=1]
//
// insecure=1 speaks plain HTTP (a MinIO on the same machine or network).
func ParseBucket(raw string) (*Bucket, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return nil, errors.New("the recordings bucket must be s3://ACCESS_KEY:SECRET_KEY@host[:port]/bucket[/prefix]")
	}
	name, prefix, _ := strings.Cut(strings.TrimPrefix(u.Path, "/"), "/")
	if name == "" {
		return nil, errors.New("the recordings bucket's address names no bucket: s3://…@host/bucket")
	}
	key := u.User.Username()
	secret, _ := u.User.Password()
	q := u.Query()
	c, err := minio.New(u.Host, &minio.Options{Creds: credentials.NewStaticV4(key, secret, ""),
		Secure: q.Get("insecure") != "1", Region: q.Get("region"), BucketLookup: minio.BucketLookupPath})
	if err != nil {
		return nil, fmt.Errorf("recordings bucket: %w", err)
	}
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return &Bucket{c: c, name: name, prefix: prefix}, nil
}

func (b *Bucket) key(id string) string { return b.prefix + id + ".wav" }

// Check tells whether the bucket is there and reachable.
func (b *Bucket) Check(ctx context.Context) error {
	ok, err := b.c.BucketExists(ctx, b.name)
	if err != nil {
		return fmt.Errorf("recordings bucket %s: %w", b.name, err)
	}
	if !ok {
		return fmt.Errorf("recordings bucket %s does not exist", b.name)
	}
	return nil
}

// Put uploads a recording's file.
func (b *Bucket) Put(ctx context.Context, id, path string) error {
	_, err := b.c.FPutObject(ctx, b.name, b.key(id), path, minio.PutObjectOptions{ContentType: "audio/wav"})
	return err
}

// Get opens a recording in the bucket; it seeks by ranged requests.
func (b *Bucket) Get(ctx context.Context, id string) (Reader, time.Time, error) {
	o, err := b.c.GetObject(ctx, b.name, b.key(id), minio.GetObjectOptions{})
	if err != nil {
		return nil, time.Time{}, err
	}
	st, err := o.Stat()
	if err != nil {
		o.Close()
		return nil, time.Time{}, err
	}
	return o, st.LastModified, nil
}

// Remove deletes a recording from the bucket; one already gone is no error (S3 says so too).
func (b *Bucket) Remove(ctx context.Context, id string) error {
	return b.c.RemoveObject(ctx, b.name, b.key(id), minio.RemoveObjectOptions{})
}
