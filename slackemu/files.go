package slackemu

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

func (s *Server) fileJSON(f *File) map[string]any {
	return map[string]any{
		"id":                   f.ID,
		"name":                 f.Name,
		"title":                f.Title,
		"size":                 f.Size,
		"url_private":          s.base + "files/" + f.ID,
		"url_private_download": s.base + "files/" + f.ID,
		"channels":             append([]string{}, f.Channels...),
	}
}

func (s *Server) filesGetUploadURL(c *call) (map[string]any, *apiError) {
	name := c.p.str("filename")
	length, err := strconv.Atoi(c.p.str("length"))
	if name == "" || err != nil || length <= 0 {
		return nil, errf("invalid_arguments", "[ERROR] filename and a positive length are required")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &File{ID: s.nextIDLocked("F"), Name: name, Title: name, Size: length, AltText: c.p.str("alt_txt")}
	s.files[f.ID] = f
	s.fileOrder = append(s.fileOrder, f.ID)
	return map[string]any{"upload_url": s.base + "upload/" + f.ID, "file_id": f.ID}, nil
}

// handleUpload stores the bytes POSTed to an upload URL (multipart "file" field or raw body).
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/upload/")
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	var data []byte
	var err error
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		var part io.ReadCloser
		part, _, err = r.FormFile("file")
		if err == nil {
			data, err = io.ReadAll(part)
			part.Close()
		}
	} else {
		data, err = io.ReadAll(io.LimitReader(r.Body, 64<<20))
	}
	if err != nil {
		http.Error(w, "bad upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	f := s.files[id]
	if f != nil {
		f.Content = data
	}
	s.mu.Unlock()
	if f == nil {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "OK - "+strconv.Itoa(len(data)))
}

func (s *Server) handleFileDownload(w http.ResponseWriter, r *http.Request) {
	if trimBearer(r.Header.Get("Authorization")) != s.opts.BotToken {
		http.Error(w, "not authed", http.StatusForbidden)
		return
	}
	id := strings.TrimPrefix(r.URL.Path, "/files/")
	s.mu.Lock()
	f := s.files[id]
	var data []byte
	if f != nil {
		data = f.Content
	}
	s.mu.Unlock()
	if f == nil {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(data)
}

func (s *Server) filesComplete(c *call) (map[string]any, *apiError) {
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if err := json.Unmarshal(c.p.json("files"), &list); err != nil || len(list) == 0 {
		return nil, errf("invalid_arguments", "[ERROR] files must be a JSON array of {id,title}")
	}
	text := c.p.str("initial_comment")
	blocks := c.p.json("blocks")
	if blocks != nil {
		norm, problems := checkBlocks(blocks, surfaceMessage)
		if len(problems) > 0 {
			return nil, errf("invalid_blocks", problems...)
		}
		blocks = norm
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var channels []string
	for _, ch := range strings.Split(c.p.str("channel_id")+","+c.p.str("channels"), ",") {
		if ch = strings.TrimSpace(ch); ch == "" {
			continue
		}
		id, ok := s.resolveChannelLocked(ch)
		if !ok {
			return nil, errf("channel_not_found")
		}
		channels = append(channels, id)
	}
	if s.sharedToNonMemberLocked(channels) {
		return nil, errf("not_in_channel")
	}
	var files []File
	var out []any
	for _, item := range list {
		f := s.files[item.ID]
		if f == nil || f.Content == nil {
			return nil, errf("file_not_found")
		}
		if item.Title != "" {
			f.Title = item.Title
		}
		f.Complete = true
		f.Channels = append(f.Channels, channels...)
		files = append(files, *f)
		out = append(out, map[string]any{"id": f.ID, "title": f.Title})
		s.publishLocked(Change{Kind: ChangeFile, File: &File{ID: f.ID, Name: f.Name, Title: f.Title, Size: f.Size, Channels: append([]string{}, f.Channels...), Complete: true}})
	}
	for _, ch := range channels {
		m := &Message{Channel: ch, TS: s.nextTSLocked(), ThreadTS: c.p.str("thread_ts"), User: s.opts.BotUserID,
			Text: text, Blocks: blocks, Files: files, Source: c.method}
		s.recordMessageLocked(m)
	}
	return map[string]any{"files": out}, nil
}
