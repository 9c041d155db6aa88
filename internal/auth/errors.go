package auth

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"
)

// InputError is a refused argument of MintToken (and the like): the API
// answers 400 naming Field.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return e.Field + ": " + e.Reason }

// ErrTokenNotFound is returned for an API token id that does not exist
// (or that the caller may not see).
var ErrTokenNotFound = errors.New("API token not found")

// credentialError is a credential that was presented and refused: the
// request gets 401 whatever the route. Message goes to the client; it and
// reason never hold the credential itself.
type credentialError struct {
	message string // for the client
	reason  string // for the audit record and log
}

func (e *credentialError) Error() string { return e.message + ": " + e.reason }

func refused(message, reason string) *credentialError {
	return &credentialError{message: message, reason: reason}
}

// apiError is the JSON error body the rest of Pont's APIs answer with.
type apiError struct {
	Error struct {
		Name    string `json:"name"`
		Message string `json:"message"`
	} `json:"error"`
}

func writeError(c echo.Context, status int, name, message string) error {
	var body apiError
	body.Error.Name, body.Error.Message = name, message
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(status, body)
}

func unauthorized(c echo.Context, message string) error {
	return writeError(c, http.StatusUnauthorized, "AuthenticationError", message)
}

func forbidden(c echo.Context, message string) error {
	return writeError(c, http.StatusForbidden, "NotAllowedError", message)
}

func badRequest(c echo.Context, message string) error {
	return writeError(c, http.StatusBadRequest, "InputError", message)
}
