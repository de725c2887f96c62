package api

import (
	"fmt"
	"net/http"
)

// refuseMixedChannels answers 422 mixed_channels for a request whose
// recipients were routed to several channels: the store keeps a request
// on one channel until requests in parts land. This file is the only
// place of that restriction: delete it (and its call in route) then.
func refuseMixedChannels(v *validated) *apiError {
	if recipientChannels(v) == nil {
		return nil
	}
	other := v.channel
	for _, ch := range v.channels {
		if ch != v.channel {
			other = ch
			break
		}
	}
	return errorf(http.StatusUnprocessableEntity, CodeMixedChannels, fmt.Sprintf(
		`the recipients of "to" go out on different channels (%q and %q, by carrier), which one request cannot carry yet: send them in separate requests or name a channel`, v.channel, other))
}
