package importer

// LegacySchema is the earlier Python tool's database schema, statement for
// statement. Read uses the tables messages and instances; sessions and
// name_history are not brought over. Tests build databases of the earlier
// tool with it.
var LegacySchema = []string{
	`CREATE TABLE messages (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  from_id TEXT NOT NULL,
  to_id TEXT NOT NULL,
  content TEXT NOT NULL,
  timestamp TEXT NOT NULL,
  data TEXT,
  summary TEXT,
  large_file_path TEXT,
  read_flag INTEGER DEFAULT 0
)`,
	`CREATE TABLE instances (instance_id TEXT PRIMARY KEY, last_seen TEXT NOT NULL)`,
	`CREATE TABLE sessions (session_token_hash TEXT PRIMARY KEY, instance_id TEXT NOT NULL,
                       created_at TEXT NOT NULL, expires_at TEXT NOT NULL)`,
	`CREATE TABLE name_history (old_name TEXT PRIMARY KEY, new_name TEXT NOT NULL, changed_at TEXT NOT NULL)`,
}
