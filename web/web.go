// Package web holds the LRS's own browser assets, embedded in the binary: the SCORM player page
// and script. Third-party browser code (scorm-again) is not here: npm installs it into
// web/node_modules from the committed package.json and package-lock.json, and the server reads it
// from disk (see scorm/httpapi Config.WebDir).
package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed player
var player embed.FS

// Player returns the player's files (index.html, player.js, player.css).
func Player() http.FileSystem {
	sub, err := fs.Sub(player, "player")
	if err != nil {
		panic(err) // the directory is embedded above; it cannot be missing
	}
	return http.FS(sub)
}
