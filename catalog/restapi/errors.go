package restapi

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/pont-dev/pont/catalog"
	"github.com/pont-dev/pont/internal/auth"
)

// apiError is an error with its Backstage name and HTTP status. Field names
// the input that was wrong, when one was.
type apiError struct {
	Status  int
	Name    string
	Message string
	Field   string
}

func (e *apiError) Error() string { return e.Message }

func inputError(field, reason string) error {
	msg := reason
	if field != "" {
		msg = field + ": " + reason
	}
	return &apiError{Status: http.StatusBadRequest, Name: "InputError", Message: msg, Field: field}
}

func notFound(msg string) error {
	return &apiError{Status: http.StatusNotFound, Name: "NotFoundError", Message: msg}
}

func conflict(msg string) error {
	return &apiError{Status: http.StatusConflict, Name: "ConflictError", Message: msg}
}

// errorBody is Backstage's error response shape, which its clients parse
// (ResponseError in @backstage/errors).
type errorBody struct {
	Error    errorDetail    `json:"error"`
	Request  requestDetail  `json:"request"`
	Response responseDetail `json:"response"`
}

type errorDetail struct {
	Name    string `json:"name"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

type requestDetail struct {
	Method string `json:"method"`
	URL    string `json:"url"`
}

type responseDetail struct {
	StatusCode int `json:"statusCode"`
}

// HandleError writes every error of the catalog routes in Backstage's
// shape. Unknown errors become a 500 whose message says nothing of the
// internals; the detail goes to the log only.
func (a *API) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var ae *apiError
	var he *echo.HTTPError
	var fe *catalog.FieldError
	var re *catalog.ReadError
	var ce *catalog.ConflictError
	var ne *catalog.NotAllowedError
	switch {
	case errors.As(err, &ae):
	case isDenied(err):
		var de *auth.DeniedError
		errors.As(err, &de)
		ae = &apiError{Status: http.StatusForbidden, Name: "NotAllowedError", Message: de.Error()}
		if de.Anonymous {
			ae.Status, ae.Name = http.StatusUnauthorized, "AuthenticationError"
		}
	case errors.As(err, &ce):
		ae = &apiError{Status: http.StatusConflict, Name: "ConflictError", Message: ce.Message}
	case errors.As(err, &ne):
		ae = &apiError{Status: http.StatusForbidden, Name: "NotAllowedError", Message: ne.Message}
	case errors.Is(err, catalog.ErrNotFound):
		ae = &apiError{Status: http.StatusNotFound, Name: "NotFoundError", Message: "not found"}
	case errors.As(err, &re):
		ae = &apiError{Status: http.StatusBadRequest, Name: "InputError", Message: re.Field + ": " + re.Reason, Field: re.Field}
	case errors.As(err, &fe):
		ae = &apiError{Status: http.StatusBadRequest, Name: "InputError", Message: fe.Error(), Field: fe.Field}
	case errors.As(err, &he):
		msg := http.StatusText(he.Code)
		if s, ok := he.Message.(string); ok {
			msg = s
		}
		name := "Error"
		switch he.Code {
		case http.StatusNotFound:
			name = "NotFoundError"
		case http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType, http.StatusBadRequest:
			name = "InputError"
		case http.StatusMethodNotAllowed:
			name = "NotAllowedError"
		}
		ae = &apiError{Status: he.Code, Name: name, Message: msg}
	default:
		a.log.Error("request failed", "request_id", c.Response().Header().Get(echo.HeaderXRequestID), "path", c.Path(), "err", err)
		ae = &apiError{Status: http.StatusInternalServerError, Name: "Error", Message: "internal error"}
	}
	body := errorBody{
		Error:    errorDetail{Name: ae.Name, Message: ae.Message, Field: ae.Field},
		Request:  requestDetail{Method: c.Request().Method, URL: c.Request().URL.RequestURI()},
		Response: responseDetail{StatusCode: ae.Status},
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(ae.Status)
		return
	}
	_ = c.JSON(ae.Status, body)
}
