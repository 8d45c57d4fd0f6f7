-- The part of Bluecherry's 3.1.x MySQL/MariaDB schema that recsync touches,
-- for tests and the demo. It is not a copy of Bluecherry's own schema files:
-- only the tables and columns recsync reads or writes, with Bluecherry's types,
-- so that behaviour that depends on types (tinyint(1) archive flags, the
-- varchar(1024) path, the cascading foreign key) is exercised for real.
--
-- No CHARACTER SET clause: the tables take the database's default, so a test
-- can create its database as utf8mb4 (recent installs) or latin1 (old ones)
-- and load this same file. Nothing is inserted: callers add their own Storage
-- rows (a real install has (1, '/var/lib/bluecherry/recordings', 95.00, 90.00)).
--
-- Media(filepath) is deliberately not indexed here; Bluecherry 3.1.14 adds
-- that index, see bluecherry-filepath-index.sql.

-- One row per recording file. `end` = 0 while the file is still being written;
-- `size` is NULL when Bluecherry could not stat the file. archive = 1 means
-- "gone from disk": the cleaner and the UI ignore the row.
CREATE TABLE Media (
  id        INT NOT NULL AUTO_INCREMENT,
  start     INT NOT NULL,
  end       INT NOT NULL DEFAULT 0,
  size      BIGINT NULL,
  device_id INT NOT NULL,
  filepath  VARCHAR(1024) NOT NULL,
  archive   TINYINT(1) NOT NULL DEFAULT 0,
  PRIMARY KEY (id)
) ENGINE=InnoDB;

-- Camera events; those with a recording point at it through media_id, and are
-- deleted with it (Bluecherry relies on the cascade when it purges Media).
CREATE TABLE EventsCam (
  id        INT NOT NULL AUTO_INCREMENT,
  time      INT NOT NULL,
  level_id  VARCHAR(10) NOT NULL,
  device_id INT NOT NULL,
  type_id   VARCHAR(10) NOT NULL,
  length    INT NOT NULL DEFAULT 0,
  archive   TINYINT(1) NOT NULL DEFAULT 0,
  media_id  INT NULL,
  details   TEXT NULL,
  PRIMARY KEY (id),
  KEY media_id (media_id),
  CONSTRAINT EventsCam_media_fk FOREIGN KEY (media_id)
    REFERENCES Media (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Recording roots; Bluecherry fills the one with the lowest priority first.
-- The thresholds are disk-usage percentages for its cleaner.
CREATE TABLE Storage (
  priority   INT NOT NULL,
  path       VARCHAR(255) NOT NULL,
  max_thresh DECIMAL(5,2) NOT NULL,
  min_thresh DECIMAL(5,2) NOT NULL,
  PRIMARY KEY (priority),
  UNIQUE KEY path (path)
) ENGINE=InnoDB;

-- Bluecherry's accounts, which the storage page signs in with (recsync only
-- reads them). password = md5(password + salt) in hex; access_setup = 1 is an
-- administrator. Bluecherry installs one: 'Admin', password 'bluecherry',
-- salt '1234'. Only the columns sign-in reads, with Bluecherry's types.
CREATE TABLE Users (
  id           INT NOT NULL AUTO_INCREMENT,
  username     VARCHAR(40),
  password     VARCHAR(64),
  salt         CHAR(4),
  name         VARCHAR(60),
  access_setup BOOLEAN,
  PRIMARY KEY (id)
) ENGINE=InnoDB;
